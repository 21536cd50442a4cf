-- One police.uk file, step 3: validate, reject with reasons, keep.
-- First failing rule wins: no coordinates, out-of-range coordinates, bad Month, unknown crime
-- type, outside the loaded boundaries, then duplicate Crime ID. Only the columns the rules and
-- outputs need are carried; the raw text of a rejected row is rebuilt from _crime_raw.
CREATE OR REPLACE TEMP TABLE _crime_cls AS
SELECT r."row", nullif(trim(r."Crime ID"), '') AS crime_id, r."Month" AS month_text,
       r."Crime type" AS crime_type, r."Longitude" AS lon, r."Latitude" AS lat,
       r."LSOA code" AS file_lsoa_code, s.x, s.y, s.lsoa_code,
       CASE
         WHEN r."Longitude" IS NULL OR r."Latitude" IS NULL THEN 'no_coords'
         WHEN NOT (r."Longitude" BETWEEN -180 AND 180 AND r."Latitude" BETWEEN -90 AND 90)
           THEN 'bad_coords'
         WHEN r."Month" IS NULL OR NOT regexp_full_match(r."Month", '[0-9]{4}-(0[1-9]|1[0-2])')
           THEN 'bad_month'
         WHEN r."Crime type" IS NULL OR NOT list_contains($crime_types, r."Crime type")
           THEN 'unknown_type'
         WHEN s.lsoa_code IS NULL THEN 'outside'
       END AS reason_key
FROM _crime_raw r
LEFT JOIN crime_snap s ON s.lon = r."Longitude" AND s.lat = r."Latitude";

-- Duplicate Crime IDs among rows that passed every other rule: kept from an earlier file, or a
-- later row of this file with the same ID. Blank IDs (anti-social behaviour) never count.
UPDATE _crime_cls SET reason_key = 'duplicate'
WHERE "row" IN (
    WITH d AS (
        SELECT c."row", c.crime_id,
               row_number() OVER (PARTITION BY c.crime_id ORDER BY c."row") AS rn
        FROM _crime_cls c
        WHERE c.reason_key IS NULL AND c.crime_id IS NOT NULL
    ), seen AS (  -- probe the kept rows with this file's IDs (the hash table is this file's)
        SELECT DISTINCT p.crime_id FROM crime_point p SEMI JOIN d ON p.crime_id = d.crime_id
    )
    SELECT d."row" FROM d LEFT JOIN seen ON seen.crime_id = d.crime_id
    WHERE d.rn > 1 OR seen.crime_id IS NOT NULL
);

-- Every rejected row, structural or by rule, with its reason and raw text.
CREATE OR REPLACE TEMP TABLE _crime_rejects AS
SELECT "row", CASE WHEN is_cast THEN 'non_numeric' ELSE 'malformed' END AS reason_key,
       CASE WHEN is_cast THEN "column" ELSE NULL END AS "column",
       CASE WHEN is_cast THEN $r_non_numeric ELSE $r_malformed || ' [' || message || ']' END AS reason,
       left(raw, 500) AS raw
FROM _crime_bad
UNION ALL
SELECT c."row", c.reason_key,
       CASE c.reason_key
         WHEN 'no_coords' THEN CASE WHEN c.lon IS NULL THEN 'Longitude' ELSE 'Latitude' END
         WHEN 'bad_coords' THEN 'Longitude'
         WHEN 'bad_month' THEN 'Month'
         WHEN 'unknown_type' THEN 'Crime type'
         WHEN 'outside' THEN 'Longitude'
         WHEN 'duplicate' THEN 'Crime ID'
       END AS "column",
       CASE c.reason_key
         WHEN 'no_coords' THEN $r_no_coords
         WHEN 'bad_coords' THEN $r_bad_coords
         WHEN 'bad_month' THEN $r_bad_month
         WHEN 'unknown_type' THEN $r_unknown_type
         WHEN 'outside' THEN $r_outside
         WHEN 'duplicate' THEN $r_duplicate
       END AS reason,
       left(concat_ws(',', coalesce(r."Crime ID", ''), coalesce(r."Month", ''),
            coalesce(r."Reported by", ''), coalesce(r."Falls within", ''),
            coalesce(CAST(r."Longitude" AS VARCHAR), ''), coalesce(CAST(r."Latitude" AS VARCHAR), ''),
            coalesce(r."Location", ''), coalesce(r."LSOA code", ''), coalesce(r."LSOA name", ''),
            coalesce(r."Crime type", ''), coalesce(r."Last outcome category", ''),
            coalesce(r."Context", '')), 500) AS raw
FROM _crime_cls c
JOIN _crime_raw r ON r."row" = c."row"
WHERE c.reason_key IS NOT NULL;

INSERT INTO rejected_rows
SELECT $source_id, $file, "row", "column", reason, raw FROM _crime_rejects;

-- Kept rows. The file's own LSOA code is kept only to cross-check: it agrees if it equals the
-- assigned LSOA 2021 code or maps to it through the ONS LSOA 2011 -> 2021 lookup.
CREATE OR REPLACE TEMP TABLE _crime_keep AS
SELECT $file_id::INTEGER AS file_id, k."row", $force AS police_force,
       CAST(k.month_text || '-01' AS DATE) AS month, k.crime_id, k.crime_type,
       k.lon AS longitude, k.lat AS latitude, k.x, k.y, k.lsoa_code, l.ward_code, l.lad_code,
       k.file_lsoa_code,
       CASE WHEN k.file_lsoa_code IS NULL THEN NULL
            ELSE k.file_lsoa_code = k.lsoa_code OR m.lsoa21 IS NOT NULL
       END AS lsoa_agrees
FROM _crime_cls k
JOIN _lsoa_place l ON l.lsoa_code = k.lsoa_code
LEFT JOIN _crime_lsoa11 m ON m.lsoa11 = k.file_lsoa_code AND m.lsoa21 = k.lsoa_code
WHERE k.reason_key IS NULL;

INSERT INTO crime_point SELECT * FROM _crime_keep;
