-- Recorded crime for an area (issue 6), from ward_crime (issue 7): the rolling
-- 12-month count of the selected crime types, summed over the area's wards, and the
-- residents it is a rate of. `full` is true only when every ward has a full 12 months.
-- $scope: 'area' (the wards in $wards), 'la' (every ward of $lad) or 'england'.
SELECT sum(crimes_12m) AS crimes,
       sum(population) AS population,
       coalesce(bool_and(full_coverage), false) AS full,
       count(*) AS n_ward,
       any_value(selected_types) AS selected_types
FROM ward_crime
WHERE CASE $scope
    WHEN 'area' THEN ward_code IN (SELECT unnest($wards))
    WHEN 'la' THEN lad_code = $lad
    ELSE true END
