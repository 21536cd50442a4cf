-- One police.uk file, step 3: validate, reject with reasons, keep.
-- First failing rule wins: no coordinates, out-of-range coordinates, bad Month, unknown crime
-- type, outside the loaded boundaries, then duplicate Crime ID.
CREATE OR REPLACE TEMP TABLE _crime_cls AS
SELECT r.*, s.x, s.y, s.lsoa_code,
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

-- Duplicate Crime IDs among rows that passed every other rule: seen in an earlier file, or a
-- later row of this file with the same ID. Blank IDs (anti-social behaviour) never count.
UPDATE _crime_cls SET reason_key = 'duplicate'
WHERE "row" IN (
    SELECT "row" FROM (
        SELECT c."row",
               row_number() OVER (PARTITION BY c."Crime ID" ORDER BY c."row") AS rn,
               EXISTS (SELECT 1 FROM crime_point p WHERE p.crime_id = c."Crime ID") AS seen
        FROM _crime_cls c
        WHERE c.reason_key IS NULL AND trim(c."Crime ID") <> ''
    ) d
    WHERE d.rn > 1 OR d.seen
);

-- Every rejected row, structural or by rule, with its reason and raw text.
CREATE OR REPLACE TEMP TABLE _crime_rejects AS
SELECT "row", CASE WHEN is_cast THEN 'non_numeric' ELSE 'malformed' END AS reason_key,
       CASE WHEN is_cast THEN "column" ELSE NULL END AS "column",
       CASE WHEN is_cast THEN $r_non_numeric ELSE $r_malformed || ' [' || message || ']' END AS reason,
       left(raw, 500) AS raw
FROM _crime_bad
UNION ALL
SELECT "row", reason_key,
       CASE reason_key
         WHEN 'no_coords' THEN CASE WHEN "Longitude" IS NULL THEN 'Longitude' ELSE 'Latitude' END
         WHEN 'bad_coords' THEN 'Longitude'
         WHEN 'bad_month' THEN 'Month'
         WHEN 'unknown_type' THEN 'Crime type'
         WHEN 'outside' THEN 'Longitude'
         WHEN 'duplicate' THEN 'Crime ID'
       END AS "column",
       CASE reason_key
         WHEN 'no_coords' THEN $r_no_coords
         WHEN 'bad_coords' THEN $r_bad_coords
         WHEN 'bad_month' THEN $r_bad_month
         WHEN 'unknown_type' THEN $r_unknown_type
         WHEN 'outside' THEN $r_outside
         WHEN 'duplicate' THEN $r_duplicate
       END AS reason,
       left(concat_ws(',', coalesce("Crime ID", ''), coalesce("Month", ''),
            coalesce("Reported by", ''), coalesce("Falls within", ''),
            coalesce(CAST("Longitude" AS VARCHAR), ''), coalesce(CAST("Latitude" AS VARCHAR), ''),
            coalesce("Location", ''), coalesce("LSOA code", ''), coalesce("LSOA name", ''),
            coalesce("Crime type", ''), coalesce("Last outcome category", ''),
            coalesce("Context", '')), 500) AS raw
FROM _crime_cls
WHERE reason_key IS NOT NULL;

INSERT INTO rejected_rows
SELECT $source_id, $file, "row", "column", reason, raw FROM _crime_rejects ORDER BY "row";

-- Kept rows. The file's own LSOA code is kept only to cross-check: it agrees if it equals the
-- assigned LSOA 2021 code or maps to it through the ONS LSOA 2011 -> 2021 lookup.
CREATE OR REPLACE TEMP TABLE _crime_keep AS
SELECT $file_id::INTEGER AS file_id, k."row", $force AS police_force,
       CAST(k."Month" || '-01' AS DATE) AS month, nullif(trim(k."Crime ID"), '') AS crime_id,
       k."Crime type" AS crime_type, k."Longitude" AS longitude, k."Latitude" AS latitude,
       k.x, k.y, k.lsoa_code, l.ward_code, l.lad_code, k."LSOA code" AS file_lsoa_code,
       CASE WHEN k."LSOA code" IS NULL THEN NULL
            ELSE k."LSOA code" = k.lsoa_code OR m.lsoa21 IS NOT NULL
       END AS lsoa_agrees
FROM _crime_cls k
JOIN lsoa l ON l.lsoa_code = k.lsoa_code
LEFT JOIN _crime_lsoa11 m ON m.lsoa11 = k."LSOA code" AND m.lsoa21 = k.lsoa_code
WHERE k.reason_key IS NULL;

INSERT INTO crime_point SELECT * FROM _crime_keep ORDER BY "row";
