"""Services and access: where services are, and how far children live from them.

``services`` the ``services`` build stage: every service list, located in its LSOA -> ``service``.
``measures`` the ``access`` build stage: nearest-service distances, ward access, gaps.
``upload``   validate a user's service list from bytes (the app's Upload view).

The readers of the service files, the service vocabulary and postcode geocoding are
in :mod:`needsmap.ingest.services`; point-in-LSOA is :mod:`needsmap.areas.locate`.
"""

from needsmap.access.measures import gaps

__all__ = ["gaps"]
