"""Services and access: where services are, and how far children live from them.

``services`` the ``services`` build stage: every service list, located in its LSOA -> ``service``.
``measures`` the ``access`` build stage: nearest-service distances, ward access, gaps.
``nation_tables``  each nation's access and need tables (England and Wales never ranked together).
``upload``   validate a user's service list from bytes (the app's Upload view).
``costs``    the cost matrix behind the siting models (straight-line km; one function).
``siting``   MCLP and p-median on frames and arrays (spopt + HiGHS/CBC), tidy results.
``siting_inputs``  the siting demand, existing services and candidates from the store.
``siting_report``  the honesty text and the files of a siting run.
``siting_cli``     ``needsmap site``.
``search``   a postcode, ward or LA name -> its point, ward, LA and nearest services.

The readers of the service files, the service vocabulary and postcode geocoding are
in :mod:`needsmap.ingest.services`; point-in-LSOA is :mod:`needsmap.areas.locate`.
"""

from needsmap.access.measures import gaps

__all__ = ["gaps"]
