-- How LSOA figures are carried to wards (lsoa_ward_share: the weight w and the LSOA's children
-- given to the ward as whole numbers), with each ward's name and LAD, for access_for_points.
SELECT k.lsoa_code, k.ward_code, e.ward_name, e.lad_code, e.lad_name, k.w,
       k.children_0_15 AS kids
FROM lsoa_ward_share k
JOIN ward_indicators_england e USING (ward_code)
