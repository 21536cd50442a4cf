-- Recorded crime (issue 7): tables written by needsmap.crime.ingest.
-- The load report tables have the same layout as needsmap.ingest.report.LoadReport.write.
CREATE TABLE IF NOT EXISTS load_report (source_id VARCHAR, file VARCHAR,
    rows_read BIGINT, rows_kept BIGINT, rows_rejected BIGINT, note VARCHAR);

CREATE TABLE IF NOT EXISTS rejected_rows (source_id VARCHAR, file VARCHAR,
    "row" BIGINT, "column" VARCHAR, reason VARCHAR, raw VARCHAR);

-- One row per police.uk file loaded.
CREATE TABLE IF NOT EXISTS crime_file (
    file_id INTEGER, file VARCHAR, police_force VARCHAR, month VARCHAR, header VARCHAR,
    rows_read BIGINT, rows_kept BIGINT, rows_rejected BIGINT,
    lsoa_agree BIGINT, lsoa_checked BIGINT, note VARCHAR);

-- Distinct police.uk snap-point coordinates, assigned once (NULL lsoa_code = in no English LSOA).
CREATE TABLE IF NOT EXISTS crime_snap (
    lon DOUBLE, lat DOUBLE, x DOUBLE, y DOUBLE, lsoa_code VARCHAR);

-- One row per kept street-level record. x/y are EPSG:27700 metres.
CREATE TABLE IF NOT EXISTS crime_point (
    file_id INTEGER, "row" BIGINT, police_force VARCHAR, month DATE, crime_id VARCHAR,
    crime_type VARCHAR, longitude DOUBLE, latitude DOUBLE, x DOUBLE, y DOUBLE,
    lsoa_code VARCHAR, ward_code VARCHAR, lad_code VARCHAR,
    file_lsoa_code VARCHAR, lsoa_agrees BOOLEAN);
