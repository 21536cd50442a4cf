-- The LSOA polygons (EPSG:27700 WKB) with their ward and LAD, in code order.
SELECT lsoa_code, ward_code, lad_code, ST_AsWKB(geom) AS wkb FROM lsoa ORDER BY lsoa_code;
