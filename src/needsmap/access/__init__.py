"""Services layer and access gaps (issue 4).

``vocab``    the controlled vocabulary of service types and each source's mapping.
``geocode``  source rows -> located candidates (Code-Point Open, pyproj).
``locate``   point-in-polygon to LSOA / ward / LAD (``queries/services_locate.sql``).
``build``    the ``services`` and ``access`` build stages.
``measures`` nearest-service distances, ward access summaries, :func:`gaps`.
``upload``   validate a user service CSV from bytes (the app's Upload view).
``export``   CSV-injection escaping for every export.
"""

from needsmap.access.export import escape_cell, escape_frame
from needsmap.access.measures import gaps

__all__ = ["escape_cell", "escape_frame", "gaps"]
