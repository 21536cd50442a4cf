-- Drop the prepass's temporary tables.
DROP TABLE IF EXISTS _crime_pre_rej;
DROP TABLE IF EXISTS _crime_pre_scan;
DROP TABLE IF EXISTS _crime_raw;
