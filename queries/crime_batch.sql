-- A batch of police.uk files, step 2: validate, reject with reasons, keep.
-- Inputs: _crime_read (the rows read, in file order), _crime_first / _crime_badk (row numbering,
-- crime_batch_prepare.sql), _crime_bad (structural rejects), _crime_files
-- (file_idx, label, file_id, force), crime_snap (every coordinate already placed in its LSOA
-- 2021), _lsoa_place (its ward and LAD: English and, issue 21, Welsh LSOAs), _crime_lsoa11 (the LSOA 2011 -> 2021 lookup, for the
-- agreement check).
-- First failing rule wins: no coordinates, out-of-range coordinates, bad Month, unknown crime
-- type, outside the loaded boundaries, then duplicate Crime ID. Month and crime type are
-- checked once per distinct value (a handful per batch), not once per row; the text of a
-- rejected row is rebuilt from _crime_read only for rejected rows.
CREATE OR REPLACE TEMP TABLE _crime_cls AS
WITH r AS (  -- the needed columns, each row with its position (rid) and rank in its file (ord)
    SELECT c.rowid AS rid, p.file_idx, c.rowid - p.r0 + 1 AS ord, c."Crime ID", c."Month",
           c."Longitude", c."Latitude", c."LSOA code", c."Crime type"
    FROM _crime_read c JOIN _crime_first p USING (file_pos)
), rn AS (  -- the data row: ord, plus the rejected rows before it in files that have some
    SELECT r.*, r.ord AS "row" FROM r
    WHERE r.file_idx NOT IN (SELECT file_idx FROM _crime_badk)
    UNION ALL
    SELECT r.*, r.ord + coalesce(b.j, 0) AS "row"
    FROM (SELECT * FROM r WHERE file_idx IN (SELECT file_idx FROM _crime_badk)) r
    ASOF LEFT JOIN _crime_badk b ON r.file_idx = b.file_idx AND r.ord > b.k
), months AS (
    SELECT "Month" AS m, regexp_full_match("Month", '[0-9]{4}-(0[1-9]|1[0-2])') AS ok
    FROM (SELECT DISTINCT "Month" FROM _crime_read WHERE "Month" IS NOT NULL)
), types AS (
    SELECT unnest($crime_types) AS t
), place AS (  -- per distinct (point, the file's own LSOA code): the point's LSOA, ward, LAD
    -- and whether the file's code agrees (equal, or mapped by the 2011 -> 2021 lookup):
    -- ~60k pairs instead of a join per row
    SELECT d.lon, d.lat, d.file_lsoa, s.x, s.y, s.lsoa_code, l.ward_code, l.lad_code,
           CASE WHEN d.file_lsoa IS NULL THEN NULL
                ELSE d.file_lsoa = s.lsoa_code OR lu.lsoa21 IS NOT NULL END AS lsoa_agrees
    FROM (SELECT DISTINCT "Longitude" AS lon, "Latitude" AS lat, "LSOA code" AS file_lsoa
          FROM _crime_read) d
    JOIN crime_snap s ON s.lon = d.lon AND s.lat = d.lat
    LEFT JOIN _lsoa_place l ON l.lsoa_code = s.lsoa_code
    LEFT JOIN _crime_lsoa11 lu ON lu.lsoa11 = d.file_lsoa AND lu.lsoa21 = s.lsoa_code
)
SELECT r.rid, r.file_idx, r."row", nullif(r."Crime ID", '') AS crime_id,
       r."Month" AS month_text, r."Crime type" AS crime_type, r."Longitude" AS lon,
       r."Latitude" AS lat, r."LSOA code" AS file_lsoa_code, s.x, s.y, s.lsoa_code,
       s.ward_code, s.lad_code, s.lsoa_agrees,
       CASE
         WHEN r."Longitude" IS NULL OR r."Latitude" IS NULL THEN 'no_coords'
         WHEN NOT (r."Longitude" BETWEEN -180 AND 180 AND r."Latitude" BETWEEN -90 AND 90)
           THEN 'bad_coords'
         WHEN m.ok IS NOT TRUE THEN 'bad_month'
         WHEN t.t IS NULL THEN 'unknown_type'
         WHEN s.lsoa_code IS NULL THEN 'outside'
       END AS reason_key
FROM rn r
LEFT JOIN months m ON m.m = r."Month"
LEFT JOIN types t ON t.t = r."Crime type"
LEFT JOIN place s ON s.lon = r."Longitude" AND s.lat = r."Latitude"
                 AND s.file_lsoa IS NOT DISTINCT FROM r."LSOA code";

-- Duplicate Crime IDs among rows that passed every other rule: an ID kept earlier (an earlier
-- load: crime_point; an earlier batch: _crime_kept_ids),
-- or any but the first row (file order, then row) of an ID repeated in this batch. Blank IDs
-- (anti-social behaviour) never count. The repeated IDs are found by their 64-bit hash first
-- (a cheap aggregate), then compared as text, so the result is exact.
UPDATE _crime_cls SET reason_key = 'duplicate'
WHERE rid IN (
    WITH cand AS (
        SELECT rid, crime_id, file_idx * 4294967296 + "row" AS pos
        FROM _crime_cls WHERE reason_key IS NULL AND crime_id IS NOT NULL
    ), h AS (
        SELECT hash(crime_id) AS h FROM cand GROUP BY 1 HAVING count(*) > 1
    ), rep AS (
        SELECT rid, pos, min(pos) OVER (PARTITION BY crime_id) AS first_pos
        FROM cand WHERE hash(crime_id) IN (SELECT h FROM h)
    )
    SELECT rid FROM rep WHERE pos > first_pos
    UNION
    SELECT c.rid FROM cand c SEMI JOIN crime_point p ON p.crime_id = c.crime_id
    UNION
    SELECT c.rid FROM cand c SEMI JOIN _crime_kept_ids p ON p.crime_id = c.crime_id
);

-- This batch's kept IDs, for the duplicate check of the batches after it.
INSERT INTO _crime_kept_ids
SELECT crime_id FROM _crime_cls WHERE reason_key IS NULL AND crime_id IS NOT NULL;

-- Every rejected row, structural or by rule, with its reason and raw text.
INSERT INTO rejected_rows
SELECT $source_id, f.label, b."row", CASE WHEN b.is_cast THEN b."column" END,
       CASE WHEN b.is_cast THEN $r_non_numeric ELSE $r_malformed || ' [' || b.message || ']' END,
       left(b.raw, 500)
FROM _crime_bad b JOIN _crime_files f USING (file_idx)
UNION ALL
SELECT $source_id, f.label, c."row",
       CASE c.reason_key
         WHEN 'no_coords' THEN CASE WHEN c.lon IS NULL THEN 'Longitude' ELSE 'Latitude' END
         WHEN 'bad_coords' THEN 'Longitude'
         WHEN 'bad_month' THEN 'Month'
         WHEN 'unknown_type' THEN 'Crime type'
         WHEN 'outside' THEN 'Longitude'
         WHEN 'duplicate' THEN 'Crime ID'
       END,
       CASE c.reason_key
         WHEN 'no_coords' THEN $r_no_coords
         WHEN 'bad_coords' THEN $r_bad_coords
         WHEN 'bad_month' THEN $r_bad_month
         WHEN 'unknown_type' THEN $r_unknown_type
         WHEN 'outside' THEN $r_outside
         WHEN 'duplicate' THEN $r_duplicate
       END,
       left(concat_ws(',', coalesce(r."Crime ID", ''), coalesce(r."Month", ''),
            coalesce(r."Reported by", ''), coalesce(r."Falls within", ''),
            coalesce(CAST(r."Longitude" AS VARCHAR), ''), coalesce(CAST(r."Latitude" AS VARCHAR), ''),
            coalesce(r."Location", ''), coalesce(r."LSOA code", ''), coalesce(r."LSOA name", ''),
            coalesce(r."Crime type", ''), coalesce(r."Last outcome category", ''),
            coalesce(r."Context", '')), 500)
FROM _crime_cls c
JOIN _crime_read r ON r.rowid = c.rid
JOIN _crime_files f ON f.file_idx = c.file_idx
WHERE c.reason_key IS NOT NULL;

-- Kept rows stay in this batch's _crime_cls (renamed _crime_cls_<n> by the loader) until the
-- last batch: crime_point is then written once from all of them (crime_kept_write.sql).
