-- Access to services for an area weighted by under-5s (the early-years lens), from
-- ward_access_under5, per service type and the early-years group: each ward's under-5-weighted
-- figures re-weighted by its under-5s (= the under-5-weighted figure over the area's LSOAs);
-- under-5s per service from the summed counts. Only the straight-line measure is used. The
-- columns are named as snapshot_access.sql's, with per_1000_children the services per 1,000
-- under-5s.
SELECT service_type,
       sum(mean_km_under5_weighted * under5)
           / nullif(sum(under5) FILTER (WHERE mean_km_under5_weighted IS NOT NULL), 0) AS mean_km,
       sum(share_under5_within_1km * under5)
           / nullif(sum(under5) FILTER (WHERE share_under5_within_1km IS NOT NULL), 0) AS share_1km,
       sum(share_under5_within_2km * under5)
           / nullif(sum(under5) FILTER (WHERE share_under5_within_2km IS NOT NULL), 0) AS share_2km,
       1000.0 * sum(n_services) / nullif(sum(under5), 0) AS per_1000_children,
       sum(under5) / nullif(sum(n_services), 0) AS per_service,
       bool_and(in_coverage) AS in_coverage
FROM ward_access_under5
WHERE ward_code IN (SELECT unnest($wards))
  AND measure = 'straight_line_km'
GROUP BY service_type
ORDER BY service_type
