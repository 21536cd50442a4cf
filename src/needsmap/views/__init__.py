"""Streamlit views used by ``app.py`` (UI only; data logic lives in the rest of ``needsmap``).

Modules
-------
``context``  :class:`~needsmap.views.context.ViewContext`, what every view's ``render(ctx)`` gets.
``data``     cached, read-only store reads (tables present, wards, display geometry, services).
``layers``   the catalogue of map layers (indicators and the ACE index) and their availability.
``classify`` choropleth classes (mapclassify) and colour-blind-safe palettes.
``maps``     folium map building: local Leaflet assets, ward choropleth, service clusters, legend.
``state``    the view state and its permalink (``st.query_params``).
``layout``   page chrome: caveat, sources and licences, friendly errors.
``explore``  the analyst view.  ``target`` the commissioner view.  ``upload`` user service CSVs.
``snapshot`` (issue 6, optional) locality snapshots; the app adds it to the navigation if present.

Every view module exposes ``render(ctx: ViewContext) -> None``.
"""
