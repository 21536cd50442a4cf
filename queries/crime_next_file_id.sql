-- The largest file key in crime_file so far (0 for none).
SELECT coalesce(max(file_id), 0) FROM crime_file;
