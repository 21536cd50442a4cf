-- lsoa_access: tidy, one row per (LSOA, service type, measure).
-- Input: the registered frame _nearest(lsoa_code, service_type, distance_m, nearest_service_id)
-- from needsmap.access.measures.nearest_frame (k-d tree nearest neighbour in EPSG:27700).
-- measure = 'straight_line_km': Euclidean distance in km on the British National Grid from
-- the LSOA's representative point (lsoa.centroid_x/y for England, lsoa_wales.centroid_x/y for
-- Wales, through the temp view _lsoa_origin of access_origins.sql; centroid_method says which
-- point: point_on_surface, because population-weighted centroids are not in the mirror) to the
-- nearest service of that type anywhere in England and Wales (across LA and national borders).
-- in_coverage: the type's lists cover the LSOA's LAD (service_coverage).
-- A network travel-time measure can be appended later as more rows with another
-- `measure` (e.g. 'walk_minutes'), `value` in its own `unit`, leaving distance_km NULL.
CREATE OR REPLACE TABLE lsoa_access AS
SELECT n.lsoa_code, n.service_type,
       'straight_line_km' AS measure,
       n.distance_m / 1000.0 AS value,
       'km' AS unit,
       n.distance_m / 1000.0 AS distance_km,
       n.nearest_service_id,
       l.centroid_method AS origin_method,
       (cv.lad_code IS NOT NULL) AS in_coverage
FROM _nearest n
JOIN _lsoa_origin l USING (lsoa_code)
LEFT JOIN (SELECT DISTINCT service_type, lad_code FROM service_coverage) cv
       ON cv.service_type = n.service_type AND cv.lad_code = l.lad_code
ORDER BY n.lsoa_code, n.service_type;
