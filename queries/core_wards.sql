-- Ward geometry for wards in scope: the real ONS WD24 polygon where the mirror has the current
-- vintage (geom_method 'ons_wd24_bgc'); otherwise the coverage union of the ward's LSOA 2021
-- polygons under the best-fit lookup (geom_method 'lsoa21_best_fit_dissolve', dissolved in
-- needsmap.store.core._dissolve_wards).
CREATE OR REPLACE TABLE ward AS
WITH scope AS (
    SELECT DISTINCT ward_code, ward_name, lad_code, lad_name FROM lsoa
    WHERE lad_code IN (SELECT lad_code FROM scope_lad)
)
SELECT s.ward_code, s.ward_name, s.lad_code, s.lad_name, 'ons_wd24_bgc' AS geom_method,
       o.geom, o.geom_wgs84
FROM scope s JOIN ward_geom_official o USING (ward_code)
UNION ALL
SELECT s.ward_code, s.ward_name, s.lad_code, s.lad_name, 'lsoa21_best_fit_dissolve' AS geom_method,
       d.geom, d.geom_wgs84
FROM scope s JOIN ward_geom_dissolved d USING (ward_code)
WHERE s.ward_code NOT IN (SELECT ward_code FROM ward_geom_official)
ORDER BY ward_code;

-- a view: the indicators live once, in ward_indicators_england; the geometry once, in ward
CREATE OR REPLACE VIEW ward_indicators AS
SELECT e.*, w.geom_method, w.geom, w.geom_wgs84
FROM ward_indicators_england e JOIN ward w USING (ward_code);
