-- The older ONS feature service names the LSOA 2011 code F_LSOA11CD: the reader's rows of the
-- file ($tbl: a temporary table named by needsmap.ingest.csvio) with it read as LSOA11CD.
CREATE OR REPLACE TEMP TABLE _lsoa11_lsoa21_alias AS
SELECT * RENAME (F_LSOA11CD AS LSOA11CD) FROM query_table($tbl);
