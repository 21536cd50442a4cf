-- Siting services: the services of the types in $types (a list, bound).
-- $lad_codes NULL: every service in the store, England and Wales (existing services: one just
-- across a border serves residents too). Otherwise those located in the LADs $lad_codes, plus,
-- when $buffer_m > 0, those within $buffer_m metres (EPSG:27700) of the LADs' LSOA polygons
-- (candidate sites; $lsoa: the nation's LSOA table, lsoa or lsoa_wales). Ward and LA names come
-- from the LSOA tables $lsoa_tables (a list: lsoa, and lsoa_wales in a store with Wales).
WITH scope AS (
    SELECT ST_Union_Agg(geom) AS g FROM query_table($lsoa)
    WHERE $buffer_m > 0 AND lad_code IN (SELECT unnest($lad_codes))
),
names AS (
    SELECT lsoa_code, ward_name, lad_name FROM query_table($lsoa_tables, true)
)
SELECT s.service_id AS site_id, s.name, s.type, s.source, s.easting AS x, s.northing AS y,
       s.postcode, s.lsoa_code, s.ward_code, l.ward_name, s.lad_code, l.lad_name
FROM service s
LEFT JOIN names l USING (lsoa_code)
WHERE s.type IN (SELECT unnest($types))
  AND ($lad_codes IS NULL
       OR s.lad_code IN (SELECT unnest($lad_codes))
       OR ($buffer_m > 0 AND ST_DWithin(s.geom, (SELECT g FROM scope), $buffer_m)))
ORDER BY s.service_id
