-- ward_access: one row per (English WD24 ward, service type, measure), children-weighted.
-- Weights c_i = w_i * children_i: lsoa_indicators.children_0_15 (Census 2021, aged 15 and under)
-- times the LSOA's weight in the ward (lsoa_ward_weight.w: 1 for the best-fit ward, an area share
-- for an LSOA shared by area); d_i = lsoa_access.distance_km.
--   mean_km_child_weighted     = sum(c_i * d_i) / sum(c_i)
--   share_children_within_1km  = sum(c_i * [d_i <= 1]) / sum(c_i)      (a fraction 0..1)
--   share_children_within_2km  = sum(c_i * [d_i <= 2]) / sum(c_i)
--   children_0_15              = the ward's children (lsoa_ward_share, whole numbers)
--   n_services                 = sum(w_i * services of the type whose point lies in LSOA i)
--   services_per_1000_children = 1000 * n_services / sum(c_i)  (NULL when no children)
-- in_coverage is false where the type's only lists are local and do not cover the ward's LAD.
CREATE OR REPLACE TABLE ward_access AS
WITH lw AS (
    SELECT a.lsoa_code, k.ward_code, e.ward_name, e.lad_code, e.lad_name, a.service_type,
           a.measure, a.distance_km, a.in_coverage,
           k.w * coalesce(i.children_0_15, 0)::DOUBLE AS c, k.children_0_15 AS kids
    FROM lsoa_access a
    JOIN lsoa_ward_share k USING (lsoa_code)
    JOIN ward_indicators_england e USING (ward_code)
    LEFT JOIN lsoa_indicators i USING (lsoa_code)
),
agg AS (
    SELECT ward_code, any_value(ward_name) AS ward_name, any_value(lad_code) AS lad_code,
           any_value(lad_name) AS lad_name, service_type, measure,
           count(*) AS n_lsoa,
           sum(kids) AS children_0_15,
           sum(c) AS c_sum,
           sum(c * distance_km) / nullif(sum(c), 0) AS mean_km_child_weighted,
           sum(c * (distance_km <= 1.0)::INTEGER) / nullif(sum(c), 0) AS share_children_within_1km,
           sum(c * (distance_km <= 2.0)::INTEGER) / nullif(sum(c), 0) AS share_children_within_2km,
           max(distance_km) AS max_km,
           bool_and(in_coverage) AS in_coverage
    FROM lw
    GROUP BY ward_code, service_type, measure
),
n AS (
    SELECT k.ward_code, s.type AS service_type, sum(k.w) AS n_services
    FROM service s JOIN lsoa_ward_weight k USING (lsoa_code)
    GROUP BY ALL
)
SELECT a.ward_code, a.ward_name, a.lad_code, a.lad_name, a.service_type, a.measure,
       a.n_lsoa, a.children_0_15::BIGINT AS children_0_15,
       a.mean_km_child_weighted, a.share_children_within_1km, a.share_children_within_2km,
       a.max_km,
       coalesce(n.n_services, 0)::DOUBLE AS n_services,
       1000.0 * coalesce(n.n_services, 0) / nullif(a.c_sum, 0) AS services_per_1000_children,
       a.in_coverage
FROM agg a
LEFT JOIN n ON n.ward_code = a.ward_code AND n.service_type = a.service_type
ORDER BY a.ward_code, a.service_type, a.measure;
