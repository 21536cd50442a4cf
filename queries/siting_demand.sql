-- Siting demand: every LSOA of the LADs in $lad_codes (a list, bound), at its representative
-- point (lsoa.centroid_x/centroid_y, EPSG:27700), with every lsoa_indicators column (the caller
-- picks the demand column from a fixed registry) and its ward's need on measure $need
-- (a ward_need.need_measure; no match = no need weighting). n_wards: English wards ranked on $need.
SELECT l.lsoa_code, l.lsoa_name, l.ward_code, l.ward_name, l.lad_code, l.lad_name,
       l.centroid_x AS x, l.centroid_y AS y,
       i.* EXCLUDE (lsoa_code, ward_code, lad_code),
       n.need_value, n.need_rank, n.need_decile,
       (SELECT count(*) FROM ward_need WHERE need_measure = $need) AS n_wards
FROM lsoa l
JOIN lsoa_indicators i USING (lsoa_code)
LEFT JOIN ward_need n ON n.ward_code = l.ward_code AND n.need_measure = $need
WHERE l.lad_code IN (SELECT unnest($lad_codes))
ORDER BY l.lsoa_code
