"""Streamlit views used by ``app.py`` (UI only; data logic lives in the rest of ``needsmap``).

Modules
-------
``context``  :class:`~needsmap.views.context.ViewContext`, what every view's ``render(ctx)`` gets.
``data``     which store version a run reads; cached, read-only reads (wards, display geometry).
``warm``     warming at server start (``asgi.py``) and when the store is replaced.
``layers``   the catalogue of map layers (indicators and the ACE index) and their availability.
``classify`` choropleth classes (mapclassify) and colour-blind-safe palettes.
``maps``     the ward map: the app's own Leaflet element (``map.js``), payloads sent once per page.
``state``    the view state and its permalink (``st.query_params``).
``layout``   page chrome: caveat, sources and licences, friendly errors.
``explore``  the analyst view.  ``target`` the commissioner view.  ``upload`` user service CSVs.
``snapshot`` locality snapshots for boards.

Every view module exposes ``render(ctx: ViewContext) -> None``.
"""
