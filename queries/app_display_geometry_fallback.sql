-- Fallback display geometry when the wards do not form a valid coverage for GEOS:
-- each ward simplified on its own (topology of each polygon preserved; shared edges may
-- differ slightly). Same parameters and output as app_display_geometry.sql.
WITH d AS (
    SELECT ward_code,
           ST_ReducePrecision(
               ST_Transform(ST_SimplifyPreserveTopology(geom, $tolerance),
                            'EPSG:27700', 'EPSG:4326', always_xy := true),
               $precision) AS g4
    FROM ward_indicators
    WHERE $all_areas OR list_contains($lads, lad_code)
)
SELECT ward_code, ST_AsGeoJSON(g4) AS geojson,
       ST_XMin(g4) AS xmin, ST_YMin(g4) AS ymin, ST_XMax(g4) AS xmax, ST_YMax(g4) AS ymax
FROM d
ORDER BY ward_code
