-- Display geometry for the app at one level of detail, for every ward in the store at once:
-- the wards simplified together as one coverage (GEOS coverage simplification, tolerance
-- in metres on the EPSG:27700 geometry: neighbouring wards keep shared edges, across LA
-- borders too, with no gaps or slivers), and each LA's outline as the boundary of the
-- union of its simplified wards on a 1 m grid (so LA lines sit on ward edges). Reprojected to
-- EPSG:4326 and rounded to $precision degrees for the browser. Any view (one LA, several,
-- all England) takes its wards and outlines from these rows.
-- Parameters: $tolerance (metres), $precision (degrees).
-- Rows: kind ('ward' or 'lad'), code, lad_code, geojson, xmin, ymin, xmax, ymax.
WITH s AS MATERIALIZED (
    SELECT list(ward_code ORDER BY ward_code) AS codes,
           ST_CoverageSimplify(list(geom ORDER BY ward_code), $tolerance) AS g
    FROM ward_indicators
),
codes AS (
    SELECT unnest(codes) AS ward_code, generate_subscripts(codes, 1) AS i FROM s
),
parts AS (
    -- ST_Dump flattens the collection; path[1] is the ward's position in it.
    SELECT unnest(ST_Dump(g), recursive := true) FROM s
),
wards AS MATERIALIZED (
    SELECT c.ward_code, any_value(w.lad_code) AS lad_code, ST_Collect(list(p.geom)) AS g
    FROM parts AS p
    JOIN codes AS c ON c.i = p.path[1]
    JOIN ward_indicators AS w USING (ward_code)
    GROUP BY c.ward_code
),
lads AS (
    SELECT lad_code, ST_Boundary(ST_Union_Agg(ST_ReducePrecision(g, 1))) AS g
    FROM wards GROUP BY lad_code
),
out AS (
    SELECT 'ward' AS kind, ward_code AS code, lad_code,
           ST_ReducePrecision(ST_Transform(g, 'EPSG:27700', 'EPSG:4326', always_xy := true),
                              $precision) AS g4
    FROM wards
    UNION ALL
    SELECT 'lad', lad_code, lad_code,
           ST_ReducePrecision(ST_Transform(g, 'EPSG:27700', 'EPSG:4326', always_xy := true),
                              $precision)
    FROM lads
)
SELECT kind, code, lad_code, ST_AsGeoJSON(g4) AS geojson,
       ST_XMin(g4) AS xmin, ST_YMin(g4) AS ymin, ST_XMax(g4) AS xmax, ST_YMax(g4) AS ymax
FROM out
ORDER BY kind DESC, code
