-- Every English LSOA's representative point, LAD and children (Census 2021, 0-15), for access
-- to a list of points that is not in the store (needsmap.access.measures.access_for_points).
SELECT l.lsoa_code, l.lad_code, l.centroid_x, l.centroid_y,
       coalesce(i.children_0_15, 0) AS children_0_15
FROM lsoa l
LEFT JOIN lsoa_indicators i USING (lsoa_code)
ORDER BY l.lsoa_code
