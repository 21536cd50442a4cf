-- Before the files are loaded one by one: the distinct coordinates of every file, read in one
-- streaming pass (only the two coordinate columns are kept; DISTINCT holds one entry per snap
-- point, not per row). assign_new_points then assigns them with one spatial join, so the
-- per-file pass finds every coordinate already in crime_snap. Structural problems are left to
-- the per-file pass, which reports them with file and row.
CREATE OR REPLACE TEMP TABLE _crime_raw AS
SELECT DISTINCT "Longitude", "Latitude"
FROM read_csv($paths, header=true, columns=$cols, auto_detect=false, delim=',', quote='"',
              escape='"', strict_mode=true, store_rejects=true, rejects_table='_crime_pre_rej',
              rejects_scan='_crime_pre_scan', max_line_size=1048576)
WHERE "Longitude" IS NOT NULL AND "Latitude" IS NOT NULL;
