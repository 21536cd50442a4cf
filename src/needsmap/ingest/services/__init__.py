"""Readers of the service lists, the service vocabulary and postcode geocoding.

``vocab``      the service types and each source's mapping into them.
``geocode``    the candidate frame every reader returns; postcode -> grid reference.
``gias``       DfE Get Information about Schools.
``epraccur``   NHS ODS GP practices.
``libraries``  Libraries Hacked public libraries.
``user_lists`` users' own lists (and the local lists in the catalogue).

Where each service lies (its LSOA, ward and LAD) is decided later, by
:func:`needsmap.areas.locate.locate`.
"""
