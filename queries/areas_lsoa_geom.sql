-- The national LSOA table: every English LSOA 2021 of the lookup, with its best-fit ward and
-- LAD, land area, a point on surface and its EPSG:27700 polygon. `_lsoa_geom` is the Arrow
-- table of validated boundaries registered by needsmap.store.core (WKB, EPSG:27700).
CREATE OR REPLACE TABLE lsoa AS
SELECT g.lsoa_code, l.lsoa_name, l.ward_code, l.ward_name, l.lad_code, l.lad_name,
       g.area_km2, g.centroid_x, g.centroid_y, 'point_on_surface' AS centroid_method,
       ST_GeomFromWKB(g.wkb) AS geom
FROM _lsoa_geom g JOIN lookup_lsoa21_wd24 l USING (lsoa_code)
ORDER BY g.lsoa_code
