-- Before the first batch of a load: the kept Crime IDs so far (for the duplicate check across
-- batches) and every file of the load (for the final write of crime_point).
CREATE OR REPLACE TEMP TABLE _crime_kept_ids (crime_id VARCHAR);
CREATE OR REPLACE TEMP TABLE _crime_files_all (file_idx BIGINT, file_id BIGINT, force VARCHAR);
