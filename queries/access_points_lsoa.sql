-- Every LSOA of one nation: its representative point, LAD and children (Census 2021, 0-15), for
-- access to a list of points that is not in the store (needsmap.access.measures.access_for_points).
-- $lsoa, $lsoa_indicators: the nation's tables by name (needsmap.access.nation_tables.NATIONS:
-- lsoa and lsoa_indicators, or lsoa_wales and lsoa_indicators_wales).
SELECT l.lsoa_code, l.lad_code, l.centroid_x, l.centroid_y,
       coalesce(i.children_0_15, 0) AS children_0_15
FROM query_table($lsoa) l
LEFT JOIN query_table($lsoa_indicators) i USING (lsoa_code)
ORDER BY l.lsoa_code
