-- What identifies the store's English and Welsh LSOA polygons (to cache them per store).
SELECT current_database(), count(*), min(lsoa_code), max(lsoa_code),
       sum(octet_length(ST_AsWKB(geom)))
FROM (SELECT lsoa_code, geom FROM lsoa UNION ALL SELECT lsoa_code, geom FROM lsoa_wales);
