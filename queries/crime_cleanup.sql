-- Drop the batch's temporary tables once every file is loaded.
DROP TABLE IF EXISTS _crime_rej;
DROP TABLE IF EXISTS _crime_scan;
DROP TABLE IF EXISTS _crime_read;
DROP TABLE IF EXISTS _crime_raw;
DROP TABLE IF EXISTS _crime_bad;
DROP TABLE IF EXISTS _crime_keep;
DROP TABLE IF EXISTS _crime_rejects;
DROP TABLE IF EXISTS _crime_cls;
DROP TABLE IF EXISTS _crime_new;
DROP TABLE IF EXISTS _crime_files;
DROP TABLE IF EXISTS _crime_first;
DROP TABLE IF EXISTS _crime_badk;
DROP TABLE IF EXISTS _crime_kept_ids;
DROP TABLE IF EXISTS _crime_files_all;
