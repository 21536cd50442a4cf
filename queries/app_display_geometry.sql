-- Display geometry for the app: the wards in view, simplified together so that
-- neighbouring wards keep shared edges (GEOS coverage simplification, tolerance in
-- metres on the EPSG:27700 geometry), then reprojected to EPSG:4326 and rounded to
-- $precision degrees for the browser. One row per ward, in ward_code order.
-- Parameters: $all_areas (BOOLEAN), $lads (VARCHAR[]), $tolerance (metres), $precision (degrees).
WITH w AS (
    SELECT ward_code, geom
    FROM ward_indicators
    WHERE $all_areas OR list_contains($lads, lad_code)
),
s AS (
    SELECT list(ward_code ORDER BY ward_code) AS codes,
           ST_CoverageSimplify(list(geom ORDER BY ward_code), $tolerance) AS g
    FROM w
),
codes AS (
    SELECT unnest(codes) AS ward_code, generate_subscripts(codes, 1) AS i FROM s
),
parts AS (
    -- ST_Dump flattens the collection; path[1] is the ward's position in it.
    SELECT unnest(ST_Dump(g), recursive := true) FROM s
),
d AS (
    SELECT path[1] AS i,
           ST_ReducePrecision(
               ST_Transform(ST_Collect(list(geom)), 'EPSG:27700', 'EPSG:4326', always_xy := true),
               $precision) AS g4
    FROM parts
    GROUP BY path[1]
)
SELECT c.ward_code, ST_AsGeoJSON(d.g4) AS geojson,
       ST_XMin(d.g4) AS xmin, ST_YMin(d.g4) AS ymin, ST_XMax(d.g4) AS xmax, ST_YMax(d.g4) AS ymax
FROM d JOIN codes AS c USING (i)
ORDER BY c.ward_code
