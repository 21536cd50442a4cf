-- How LSOA figures are carried to wards (lsoa_ward_share: the weight w and the LSOA's children
-- given to the ward as whole numbers), with each ward's name and LAD, for access_for_points.
-- $shares, $wards: the nation's tables by name (lsoa_ward_share and ward_indicators_england, or
-- lsoa_ward_share_wales and ward_indicators_wales; needsmap.access.nation_tables.NATIONS).
SELECT k.lsoa_code, k.ward_code, e.ward_name, e.lad_code, e.lad_name, k.w,
       k.children_0_15 AS kids
FROM query_table($shares) k
JOIN query_table($wards) e USING (ward_code)
