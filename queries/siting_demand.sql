-- Siting demand: every LSOA of the LADs in $lad_codes (a list, bound; all of one nation), at its
-- representative point (centroid_x/centroid_y, EPSG:27700), with its demand columns
-- (children_0_15, under5, population; the caller picks one from a fixed registry) and its
-- ward's need on measure $need (no match = no need weighting). The nation's tables are bound by
-- name (needsmap.access.nation_tables.NATIONS): $lsoa (lsoa / lsoa_wales), $lsoa_indicators
-- (lsoa_indicators / lsoa_indicators_wales), $need_table (ward_need / ward_need_wales, ranked
-- among the nation's wards only). n_wards: the nation's wards ranked on $need.
SELECT l.lsoa_code, l.lsoa_name, l.ward_code, l.ward_name, l.lad_code, l.lad_name,
       l.centroid_x AS x, l.centroid_y AS y,
       i.children_0_15, i.under5, i.population,
       n.need_value, n.need_rank, n.need_decile,
       (SELECT count(*) FROM query_table($need_table) WHERE need_measure = $need) AS n_wards
FROM query_table($lsoa) l
JOIN query_table($lsoa_indicators) i USING (lsoa_code)
LEFT JOIN query_table($need_table) n ON n.ward_code = l.ward_code AND n.need_measure = $need
WHERE l.lad_code IN (SELECT unnest($lad_codes))
ORDER BY l.lsoa_code
