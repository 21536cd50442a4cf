-- Ward geometry for wards in scope, written once from `_ward_geom` (registered by
-- needsmap.store.core._ward_geometries): the real ONS WD24 polygon where the mirror has the
-- current vintage (geom_method 'ons_wd24_bgc'); otherwise the coverage union of the ward's
-- LSOA 2021 polygons under the best-fit lookup (geom_method 'lsoa21_best_fit_dissolve').
CREATE OR REPLACE TABLE ward AS
WITH scope AS (
    SELECT DISTINCT ward_code, ward_name, lad_code, lad_name FROM lsoa
    WHERE lad_code IN (SELECT lad_code FROM scope_lad)
)
SELECT s.ward_code, s.ward_name, s.lad_code, s.lad_name, g.geom_method,
       ST_GeomFromWKB(g.wkb) AS geom, ST_GeomFromWKB(g.wkb_wgs84) AS geom_wgs84
FROM scope s JOIN _ward_geom g USING (ward_code)
ORDER BY s.ward_code;

-- a view: the indicators live once, in ward_indicators_england; the geometry once, in ward
CREATE OR REPLACE VIEW ward_indicators AS
SELECT e.*, w.geom_method, w.geom, w.geom_wgs84
FROM ward_indicators_england e JOIN ward w USING (ward_code);
