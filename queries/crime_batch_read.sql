-- A batch of police.uk files read in one pass by DuckDB's strict CSV reader (gzip and zip
-- members included, see needsmap.ingest.police.mounted). Rows with the wrong number of fields,
-- bad quoting or a non-numeric coordinate go to _crime_rej (with their file, line and column);
-- the kept rows keep their file (file_index: its position in $paths) and, within it, their
-- order.
CREATE TEMP TABLE _crime_read AS
SELECT file_index::INTEGER AS file_pos, *
FROM read_csv($paths, header=true, columns=$cols, auto_detect=false, delim=',', quote='"',
              escape='"', strict_mode=true, store_rejects=true, rejects_table='_crime_rej',
              rejects_scan='_crime_scan', max_line_size=1048576);
