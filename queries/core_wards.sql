-- Ward geometry for wards in scope: the real ONS WD24 polygon where the mirror has the current
-- vintage (geom_method 'ons_wd24_bgc'); otherwise the coverage union of the ward's LSOA 2021
-- polygons under the best-fit lookup (geom_method 'lsoa21_best_fit_dissolve', dissolved in
-- needsmap.store.core._dissolve_wards).
CREATE OR REPLACE TABLE ward AS
WITH scope AS (
    SELECT DISTINCT ward_code, ward_name, lad_code, lad_name FROM lsoa
    WHERE lad_code IN (SELECT lad_code FROM scope_lad)
),
dissolved AS (SELECT * FROM ward_geom_dissolved)
SELECT s.ward_code, s.ward_name, s.lad_code, s.lad_name,
       CASE WHEN o.ward_code IS NOT NULL THEN 'ons_wd24_bgc' ELSE 'lsoa21_best_fit_dissolve' END AS geom_method,
       coalesce(o.geom, d.geom) AS geom,
       coalesce(o.geom_wgs84, d.geom_wgs84) AS geom_wgs84
FROM scope s
LEFT JOIN ward_geom_official o USING (ward_code)
LEFT JOIN dissolved d USING (ward_code)
ORDER BY s.ward_code;

-- a view: the indicators live once, in ward_indicators_england; the geometry once, in ward
CREATE OR REPLACE VIEW ward_indicators AS
SELECT e.*, w.geom_method, w.geom, w.geom_wgs84
FROM ward_indicators_england e JOIN ward w USING (ward_code);
