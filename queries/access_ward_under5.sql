-- ward_access_under5: ward_access (queries/access_ward.sql) weighted by under-5s instead of
-- children aged 0-15, for every service type, plus the early-years group $group (the nearest of
-- the types in $group_types: family hub, children's centre or nursery).
-- Weights u_i = w_i * under5_i (lsoa_indicators.under5, ONS mid-2020 ages 0-4 carried to LSOA
-- 2021, times the LSOA's weight in the ward); d_i = lsoa_access.distance_km.
--   mean_km_under5_weighted  = sum(u_i d_i) / sum(u_i)
--   share_under5_within_1km  = sum(u_i [d_i <= 1]) / sum(u_i)      (2 km likewise)
--   under5                   = the ward's under-5s (lsoa_ward_share, whole numbers)
--   n_services               = sum(w_i * services of the type whose point lies in LSOA i)
--   under5_per_service       = sum(u_i) / n_services               (NULL without a service)
--   services_per_1000_under5 = 1000 * n_services / sum(u_i)
-- The group: d_i = the smallest distance over its types whose lists cover the LSOA's LAD;
-- in coverage where at least one does; n_services counts the services of all its types.
CREATE OR REPLACE TABLE ward_access_under5 AS
WITH la AS (
    SELECT lsoa_code, service_type, measure, distance_km, in_coverage FROM lsoa_access
    UNION ALL
    SELECT lsoa_code, $group, measure,
           coalesce(min(distance_km) FILTER (WHERE in_coverage), min(distance_km)),
           bool_or(in_coverage)
    FROM lsoa_access
    WHERE service_type IN (SELECT unnest($group_types))
    GROUP BY lsoa_code, measure
),
lw AS (
    SELECT a.lsoa_code, k.ward_code, e.ward_name, e.lad_code, e.lad_name, a.service_type,
           a.measure, a.distance_km, a.in_coverage,
           k.w * coalesce(i.under5, 0)::DOUBLE AS u, k.under5 AS kids
    FROM la a
    JOIN lsoa_ward_share k USING (lsoa_code)
    JOIN ward_indicators_england e USING (ward_code)
    LEFT JOIN lsoa_indicators i USING (lsoa_code)
),
agg AS (
    SELECT ward_code, any_value(ward_name) AS ward_name, any_value(lad_code) AS lad_code,
           any_value(lad_name) AS lad_name, service_type, measure,
           count(*) AS n_lsoa,
           sum(kids) AS under5,
           sum(u) AS u_sum,
           sum(u * distance_km) / nullif(sum(u), 0) AS mean_km_under5_weighted,
           sum(u * (distance_km <= 1.0)::INTEGER) / nullif(sum(u), 0) AS share_under5_within_1km,
           sum(u * (distance_km <= 2.0)::INTEGER) / nullif(sum(u), 0) AS share_under5_within_2km,
           max(distance_km) AS max_km,
           bool_and(in_coverage) AS in_coverage
    FROM lw
    GROUP BY ward_code, service_type, measure
),
svc AS (
    SELECT lsoa_code, type AS service_type FROM service
    UNION ALL
    SELECT lsoa_code, $group FROM service WHERE type IN (SELECT unnest($group_types))
),
n AS (
    SELECT k.ward_code, s.service_type, sum(k.w) AS n_services
    FROM svc s JOIN lsoa_ward_weight k USING (lsoa_code)
    GROUP BY ALL
)
SELECT a.ward_code, a.ward_name, a.lad_code, a.lad_name, a.service_type, a.measure,
       a.n_lsoa, a.under5::BIGINT AS under5,
       a.mean_km_under5_weighted, a.share_under5_within_1km, a.share_under5_within_2km,
       a.max_km,
       coalesce(n.n_services, 0)::DOUBLE AS n_services,
       a.u_sum / nullif(n.n_services, 0) AS under5_per_service,
       1000.0 * coalesce(n.n_services, 0) / nullif(a.u_sum, 0) AS services_per_1000_under5,
       a.in_coverage
FROM agg a
LEFT JOIN n ON n.ward_code = a.ward_code AND n.service_type = a.service_type
ORDER BY a.ward_code, a.service_type, a.measure;
