-- Access to services for an area (issue 6), from ward_access (issue 4), per service
-- type: each ward's child-weighted figures re-weighted by its children 0-15, which
-- equals the child-weighted figure over the area's LSOAs (the ward figures are
-- themselves child-weighted over LSOAs); services per 1,000 children from the summed
-- counts. Only the straight-line measure is used.
SELECT service_type,
       sum(mean_km_child_weighted * children_0_15)
           / nullif(sum(children_0_15) FILTER (WHERE mean_km_child_weighted IS NOT NULL), 0) AS mean_km,
       sum(share_children_within_1km * children_0_15)
           / nullif(sum(children_0_15) FILTER (WHERE share_children_within_1km IS NOT NULL), 0) AS share_1km,
       sum(share_children_within_2km * children_0_15)
           / nullif(sum(children_0_15) FILTER (WHERE share_children_within_2km IS NOT NULL), 0) AS share_2km,
       1000.0 * sum(n_services) / nullif(sum(children_0_15), 0) AS per_1000_children,
       bool_and(in_coverage) AS in_coverage
FROM ward_access
WHERE ward_code IN (SELECT unnest($wards))
  AND measure = 'straight_line_km'
GROUP BY service_type
ORDER BY service_type
