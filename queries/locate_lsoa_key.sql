-- What identifies the store's LSOA polygons (to cache them per store): database, codes, size.
SELECT current_database(), count(*), min(lsoa_code), max(lsoa_code),
       sum(octet_length(ST_AsWKB(geom))) FROM lsoa;
