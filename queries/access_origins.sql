-- _lsoa_origin: every LSOA's representative point, English (lsoa) and Welsh (lsoa_wales), for
-- the nearest-service distances (needsmap.access.measures.nearest_frame, access_lsoa.sql).
-- Both are points on the LSOA's surface (centroid_method = 'point_on_surface').
CREATE OR REPLACE TEMP VIEW _lsoa_origin AS
SELECT lsoa_code, lad_code, centroid_x, centroid_y, centroid_method FROM lsoa
UNION ALL
SELECT lsoa_code, lad_code, centroid_x, centroid_y, centroid_method FROM lsoa_wales;
