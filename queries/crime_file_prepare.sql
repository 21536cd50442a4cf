-- One police.uk file, step 1: row numbers and structural rejects.
-- Input: _crime_read (rows DuckDB's strict reader kept, in file order) and _crime_rej
-- (store_rejects errors, one per line and column). Data row r is file line r + 1.

-- One row per rejected line; CAST errors can only be the two DOUBLE columns (coordinates).
CREATE OR REPLACE TEMP TABLE _crime_bad AS
SELECT line - 1 AS "row",
       min_by(column_name, column_idx) AS "column",
       bool_and(error_type = 'CAST') AS is_cast,
       min_by(error_message, column_idx) AS message,
       any_value(trim(csv_line, chr(13) || chr(10))) AS raw
FROM _crime_rej
GROUP BY line;

-- Kept rows get their data-row number back: the i-th kept row is row i + j, where j is the
-- number of rejected rows before it (ASOF on k = rejected row - its rank = kept rows before it).
CREATE OR REPLACE TEMP TABLE _crime_raw AS
WITH ranked AS (
    SELECT "row" - row_number() OVER (ORDER BY "row") AS k,
           row_number() OVER (ORDER BY "row") AS j
    FROM _crime_bad
), bad AS (  -- consecutive rejected rows share k; the last of them counts them all
    SELECT k, max(j) AS j FROM ranked GROUP BY k
), r AS (
    SELECT rowid + 1 AS ord, * FROM _crime_read
)
SELECT r.ord + coalesce(bad.j, 0) AS "row", r.* EXCLUDE (ord)
FROM r ASOF LEFT JOIN bad ON r.ord > bad.k;
