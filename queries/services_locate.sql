-- Point-in-polygon: which English LSOA 2021 (and so best-fit ward and LAD) each service is in.
-- Input: the registered relation _svc_candidates(cand_id, easting, northing) in EPSG:27700.
-- The LSOA boundaries are the ONS BSC (generalised, clipped to the coastline), so a point on
-- the shore or a pier can fall just outside every polygon. Such points are given the nearest
-- LSOA when it lies within $snap_m metres (locate_method 'nearest_lsoa_within_snap');
-- points further away are returned with NULL codes and rejected as "point outside England".
-- R-tree spatial join (DuckDB spatial SPATIAL_JOIN operator) for both predicates.
WITH pts AS (
    SELECT cand_id, ST_Point(easting, northing) AS pt
    FROM _svc_candidates
    WHERE easting IS NOT NULL AND northing IS NOT NULL
),
inside AS (
    SELECT p.cand_id, l.lsoa_code, l.ward_code, l.lad_code
    FROM pts p JOIN lsoa l ON ST_Contains(l.geom, p.pt)
    QUALIFY row_number() OVER (PARTITION BY p.cand_id ORDER BY l.lsoa_code) = 1
),
outside AS (
    SELECT p.* FROM pts p ANTI JOIN inside i ON p.cand_id = i.cand_id
),
snapped AS (
    SELECT o.cand_id, l.lsoa_code, l.ward_code, l.lad_code,
           ST_Distance(l.geom, o.pt) AS snap_m
    FROM outside o JOIN lsoa l ON ST_DWithin(l.geom, o.pt, $snap_m)
    QUALIFY row_number() OVER (PARTITION BY o.cand_id
                               ORDER BY ST_Distance(l.geom, o.pt), l.lsoa_code) = 1
)
SELECT c.cand_id,
       coalesce(i.lsoa_code, s.lsoa_code) AS lsoa_code,
       coalesce(i.ward_code, s.ward_code) AS ward_code,
       coalesce(i.lad_code, s.lad_code) AS lad_code,
       CASE WHEN i.cand_id IS NOT NULL THEN 'point_in_polygon'
            WHEN s.cand_id IS NOT NULL THEN 'nearest_lsoa_within_snap' END AS locate_method,
       s.snap_m
FROM _svc_candidates c
LEFT JOIN inside i ON c.cand_id = i.cand_id
LEFT JOIN snapped s ON c.cand_id = s.cand_id
ORDER BY c.cand_id
