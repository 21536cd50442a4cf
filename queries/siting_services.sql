-- Siting services: the services of the types in $types (a list, bound).
-- $lad_codes NULL: all of England (existing services: one just across a border serves residents
-- too). Otherwise those located in the LADs $lad_codes, plus, when $buffer_m > 0, those within
-- $buffer_m metres (EPSG:27700) of the LADs' LSOA polygons (candidate sites).
WITH scope AS (
    SELECT ST_Union_Agg(geom) AS g FROM lsoa
    WHERE $buffer_m > 0 AND lad_code IN (SELECT unnest($lad_codes))
)
SELECT s.service_id AS site_id, s.name, s.type, s.source, s.easting AS x, s.northing AS y,
       s.postcode, s.lsoa_code, s.ward_code, l.ward_name, s.lad_code, l.lad_name
FROM service s
LEFT JOIN lsoa l USING (lsoa_code)
WHERE s.type IN (SELECT unnest($types))
  AND ($lad_codes IS NULL
       OR s.lad_code IN (SELECT unnest($lad_codes))
       OR ($buffer_m > 0 AND ST_DWithin(s.geom, (SELECT g FROM scope), $buffer_m)))
ORDER BY s.service_id
