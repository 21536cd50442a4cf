-- LA boundaries for the app's multi-LA and all-England views: the wards of each LAD
-- dissolved (on a 1 m grid, so dissolved-LSOA ward edges meet exactly), as simplified
-- boundary lines in EPSG:4326. Parameters as app_display_geometry.sql.
WITH l AS (
    SELECT lad_code, ST_Union_Agg(ST_ReducePrecision(geom, 1)) AS g
    FROM ward_indicators
    WHERE $all_areas OR list_contains($lads, lad_code)
    GROUP BY lad_code
)
SELECT lad_code,
       ST_AsGeoJSON(ST_ReducePrecision(
           ST_Transform(ST_SimplifyPreserveTopology(ST_Boundary(g), $tolerance),
                        'EPSG:27700', 'EPSG:4326', always_xy := true),
           $precision)) AS geojson
FROM l
ORDER BY lad_code
