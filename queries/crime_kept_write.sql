-- The kept rows of a load into crime_point, written once from the batches' _crime_cls_<n>
-- tables (the loader puts their union in the view _crime_cls_all): a new table when
-- crime_point is empty (a build, or `needsmap crime`, which drops it first: one bulk write),
-- else appended. $empty: crime_point had no rows.
CREATE OR REPLACE TABLE crime_point AS
SELECT * FROM crime_point WHERE NOT $empty
UNION ALL
SELECT f.file_id::INTEGER AS file_id, k."row", f.force AS police_force,
       CAST(k.month_text || '-01' AS DATE) AS month, k.crime_id, k.crime_type,
       k.lon AS longitude, k.lat AS latitude, k.x, k.y, k.lsoa_code, k.ward_code, k.lad_code,
       k.file_lsoa_code, k.lsoa_agrees
FROM _crime_cls_all k
JOIN _crime_files_all f USING (file_idx)
WHERE k.reason_key IS NULL;
