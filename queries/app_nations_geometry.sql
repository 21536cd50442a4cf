-- Display geometry for a view that holds Welsh wards (issue 21): the wards in view from
-- `ward` (both nations, with `nation`), simplified together as one coverage (so shared
-- edges, the England-Wales border too, stay shared), reprojected to EPSG:4326 and rounded
-- to $precision degrees; then each LA's outline (the union of its simplified wards on a
-- 1 m grid). Parameters: $all_areas (BOOLEAN), $lads (VARCHAR[]), $tolerance (metres),
-- $precision (degrees). Rows: kind ('ward' or 'lad'), code, ward_name, lad_code, lad_name,
-- nation, geojson, xmin, ymin, xmax, ymax.
WITH w AS (
    SELECT ward_code, ward_name, lad_code, lad_name, nation, geom
    FROM ward
    WHERE geom IS NOT NULL AND ($all_areas OR list_contains($lads, lad_code))
),
s AS MATERIALIZED (
    SELECT list(ward_code ORDER BY ward_code) AS codes,
           ST_CoverageSimplify(list(geom ORDER BY ward_code), $tolerance) AS g
    FROM w
),
codes AS (
    SELECT unnest(codes) AS ward_code, generate_subscripts(codes, 1) AS i FROM s
),
parts AS (
    SELECT unnest(ST_Dump(g), recursive := true) FROM s
),
simple AS MATERIALIZED (
    SELECT c.ward_code, ST_Collect(list(p.geom)) AS g
    FROM parts AS p JOIN codes AS c ON c.i = p.path[1]
    GROUP BY c.ward_code
),
wards AS (
    SELECT 'ward' AS kind, w.ward_code AS code, w.ward_name, w.lad_code, w.lad_name, w.nation,
           s.g
    FROM simple AS s JOIN w USING (ward_code)
),
lads AS (
    SELECT 'lad' AS kind, lad_code AS code, NULL AS ward_name, lad_code, any_value(lad_name),
           any_value(nation), ST_Boundary(ST_Union_Agg(ST_ReducePrecision(g, 1))) AS g
    FROM wards GROUP BY lad_code
),
out AS (
    SELECT kind, code, ward_name, lad_code, lad_name, nation,
           ST_ReducePrecision(ST_Transform(g, 'EPSG:27700', 'EPSG:4326', always_xy := true),
                              $precision) AS g4
    FROM (SELECT * FROM wards UNION ALL SELECT * FROM lads)
)
SELECT kind, code, ward_name, lad_code, lad_name, nation, ST_AsGeoJSON(g4) AS geojson,
       ST_XMin(g4) AS xmin, ST_YMin(g4) AS ymin, ST_XMax(g4) AS xmax, ST_YMax(g4) AS ymax
FROM out
ORDER BY kind DESC, code
