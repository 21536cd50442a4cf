"""Recorded crime from police.uk street-level files, as ward counts and rates (issue 7).

* :mod:`needsmap.ingest.police` -- find, check and load the monthly files (DuckDB
  ``read_csv`` with rejects captured), assign points to LSOA 2021 and ward.
* :mod:`needsmap.crime.build` -- the build stage and the output tables
  (``ward_crime``, ``ward_crime_monthly``, ``crime_coverage``).
* :mod:`needsmap.crime.cli` -- ``needsmap crime PATH...`` to (re)load files into a store.
"""
