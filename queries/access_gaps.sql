-- Access gaps for commissioning: high-need wards whose children are furthest from a service.
-- Parameters (all bound): $service_type, $need (a ward_need.need_measure), $measure,
-- $top_deciles (need deciles counted as high need, default 2), $furthest_share (the share of
-- in-coverage English wards counted as "furthest", default 0.2), $lad_code (NULL = England).
--   access_percentile = percent_rank of mean_km_child_weighted among in-coverage English
--                       wards for the type (1 = furthest)
--   gap_flag          = need_decile <= $top_deciles AND access_percentile >= 1 - $furthest_share
--   commissioning_rank: among high-need wards (in the LAD, if given), 1 = furthest children
--                       (mean km), ties broken by need rank (higher need first).
WITH acc AS (
    SELECT wa.*,
           percent_rank() OVER (ORDER BY mean_km_child_weighted) AS access_percentile
    FROM ward_access wa
    WHERE wa.service_type = $service_type AND wa.measure = $measure AND wa.in_coverage
      AND wa.mean_km_child_weighted IS NOT NULL
),
j AS (
    SELECT a.ward_code, a.ward_name, a.lad_code, a.lad_name, a.service_type, a.measure,
           n.need_measure, n.need_value, n.need_decile, n.need_rank,
           a.children_0_15, a.mean_km_child_weighted, a.share_children_within_1km,
           a.share_children_within_2km, a.n_services, a.services_per_1000_children,
           a.access_percentile,
           n.need_decile <= $top_deciles AS high_need,
           (n.need_decile <= $top_deciles AND a.access_percentile >= 1 - $furthest_share) AS gap_flag,
           e.fit_share_of_ward, e.fit_spill, e.fit_poor
    FROM acc a
    JOIN ward_need n ON n.ward_code = a.ward_code AND n.need_measure = $need
    JOIN ward_indicators_england e ON e.ward_code = a.ward_code
    WHERE $lad_code IS NULL OR a.lad_code = $lad_code
)
SELECT *,
       CASE WHEN high_need THEN row_number() OVER (
            PARTITION BY high_need
            ORDER BY mean_km_child_weighted DESC, need_rank, ward_code) END AS commissioning_rank
FROM j
ORDER BY high_need DESC, commissioning_rank NULLS LAST, need_rank;
