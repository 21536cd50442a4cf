-- The LSOA polygons (EPSG:27700 WKB) with their ward and LAD, in code order: English (lsoa)
-- and, in a store with Welsh tables, Welsh (lsoa_wales; issue 21).
SELECT lsoa_code, ward_code, lad_code, ST_AsWKB(geom) AS wkb FROM lsoa
UNION ALL
SELECT lsoa_code, ward_code, lad_code, ST_AsWKB(geom) AS wkb FROM lsoa_wales
ORDER BY lsoa_code;
