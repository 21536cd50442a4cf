-- Explore's early-years access layers: ward_access_under5 for one service type (the
-- early-years group, needsmap.access.early_years.GROUP), straight-line distances, wards whose
-- lists cover them (a ward outside every list's coverage has no value).
SELECT ward_code, under5, mean_km_under5_weighted, share_under5_within_1km,
       share_under5_within_2km, n_services, under5_per_service
FROM ward_access_under5
WHERE service_type = $service_type AND measure = 'straight_line_km' AND in_coverage
ORDER BY ward_code;
