-- A batch of police.uk files, step 1: structural rejects, and what row numbering needs, per file.
-- Inputs: _crime_read (rows DuckDB's strict reader kept, in file order, with file_pos; the
-- rows of a file are consecutive in rowid), _crime_rej / _crime_scan (store_rejects: one error
-- per line and column) and _crime_files (file_idx, file_pos, label, duck_path: the batch). Data
-- row r of a
-- file is its line r + 1.

-- One row per rejected line; CAST errors can only be the two DOUBLE columns (coordinates).
CREATE OR REPLACE TEMP TABLE _crime_bad AS
SELECT f.file_idx, r.line - 1 AS "row",
       min_by(r.column_name, r.column_idx) AS "column",
       bool_and(r.error_type = 'CAST') AS is_cast,
       min_by(r.error_message, r.column_idx) AS message,
       any_value(trim(r.csv_line, chr(13) || chr(10))) AS raw
FROM _crime_rej r
JOIN _crime_scan s ON s.scan_id = r.scan_id AND s.file_id = r.file_id
JOIN _crime_files f ON f.duck_path = s.file_path
GROUP BY 1, 2;

-- Kept rows get their data-row number back (in crime_batch.sql). Without rejects in a file,
-- the i-th kept row is row i (i = rowid - the file's first rowid + 1: a hash aggregate, no
-- sort). With rejects, the i-th kept row is row i + j, where j is the number of rejected rows
-- before it (ASOF on k = rejected row - its rank = kept rows before it): _crime_badk.
CREATE OR REPLACE TEMP TABLE _crime_first AS
SELECT f.file_idx, c.file_pos, min(c.rowid) AS r0
FROM _crime_read c JOIN _crime_files f USING (file_pos)
GROUP BY 1, 2;

CREATE OR REPLACE TEMP TABLE _crime_badk AS
WITH ranked AS (
    SELECT file_idx, "row" - row_number() OVER (PARTITION BY file_idx ORDER BY "row") AS k,
           row_number() OVER (PARTITION BY file_idx ORDER BY "row") AS j
    FROM _crime_bad
)  -- consecutive rejected rows share k; the last of them counts them all
SELECT file_idx, k, max(j) AS j FROM ranked GROUP BY file_idx, k;
