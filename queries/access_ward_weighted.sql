-- _ward_access_weighted: one row per (WD24 ward of one nation, service type, measure), weighted
-- by the population basis $basis: 'children' (children_0_15, Census 2021, aged 15 and under) or
-- 'under5' (ONS mid-2020 ages 0-4 carried to LSOA 2021).
-- The nation's tables are bound by name (needsmap.access.nation_tables.weighted_params):
-- $shares (lsoa_ward_share, or lsoa_ward_share_wales), $wards (ward_indicators_england, or
-- ward_indicators_wales) and $lsoa_indicators (lsoa_indicators, or lsoa_indicators_wales); only
-- the nation's wards come out, so English and Welsh wards are never in one table.
-- ward_access (access_ward.sql) and ward_access_under5 (access_ward_under5.sql) are this table
-- with their column names.
-- Weights p_i = w_i * population_i, w_i the LSOA's weight in the ward (lsoa_ward_weight.w: 1 for
-- the best-fit ward, an area share for an LSOA shared by area); d_i = lsoa_access.distance_km.
--   pop         = the ward's population of the basis (lsoa_ward_share, whole numbers)
--   mean_km     = sum(p_i * d_i) / sum(p_i)
--   share_1km   = sum(p_i * [d_i <= 1]) / sum(p_i)      (a fraction 0..1; 2 km likewise)
--   n_services  = sum(w_i * services of the type whose point lies in LSOA i)
--   per_service = sum(p_i) / n_services                 (NULL without a service)
--   per_1000    = 1000 * n_services / sum(p_i)          (NULL without the population)
-- in_coverage is false where the type's only lists are local and do not cover the ward's LAD.
-- The group $group (none when $group_types is empty): d_i = the smallest distance over the
-- types in $group_types whose lists cover the LSOA's LAD; in coverage where at least one does;
-- n_services counts the services of all its types.
CREATE OR REPLACE TEMP TABLE _ward_access_weighted AS
WITH la AS (
    SELECT lsoa_code, service_type, measure, distance_km, in_coverage FROM lsoa_access
    UNION ALL
    SELECT lsoa_code, $group, measure,
           coalesce(min(distance_km) FILTER (WHERE in_coverage), min(distance_km)),
           bool_or(in_coverage)
    FROM lsoa_access
    WHERE service_type IN (SELECT unnest($group_types::VARCHAR[]))
    GROUP BY lsoa_code, measure
),
lw AS (
    SELECT a.lsoa_code, k.ward_code, e.ward_name, e.lad_code, e.lad_name, a.service_type,
           a.measure, a.distance_km, a.in_coverage,
           k.w * coalesce(CASE $basis WHEN 'under5' THEN i.under5 ELSE i.children_0_15 END,
                          0)::DOUBLE AS p,
           CASE $basis WHEN 'under5' THEN k.under5 ELSE k.children_0_15 END AS pop
    FROM la a
    JOIN query_table($shares) k USING (lsoa_code)
    JOIN query_table($wards) e USING (ward_code)
    LEFT JOIN query_table($lsoa_indicators) i USING (lsoa_code)
),
agg AS (
    SELECT ward_code, any_value(ward_name) AS ward_name, any_value(lad_code) AS lad_code,
           any_value(lad_name) AS lad_name, service_type, measure,
           count(*) AS n_lsoa,
           sum(pop) AS pop,
           sum(p) AS p_sum,
           sum(p * distance_km) / nullif(sum(p), 0) AS mean_km,
           sum(p * (distance_km <= 1.0)::INTEGER) / nullif(sum(p), 0) AS share_1km,
           sum(p * (distance_km <= 2.0)::INTEGER) / nullif(sum(p), 0) AS share_2km,
           max(distance_km) AS max_km,
           bool_and(in_coverage) AS in_coverage
    FROM lw
    GROUP BY ward_code, service_type, measure
),
svc AS (
    SELECT lsoa_code, type AS service_type FROM service
    UNION ALL
    SELECT lsoa_code, $group FROM service
    WHERE type IN (SELECT unnest($group_types::VARCHAR[]))
),
n AS (
    SELECT k.ward_code, s.service_type, sum(k.w) AS n_services
    FROM svc s JOIN lsoa_ward_weight k USING (lsoa_code)
    GROUP BY ALL
)
SELECT a.ward_code, a.ward_name, a.lad_code, a.lad_name, a.service_type, a.measure,
       a.n_lsoa, a.pop::BIGINT AS pop, a.mean_km, a.share_1km, a.share_2km, a.max_km,
       coalesce(n.n_services, 0)::DOUBLE AS n_services,
       a.p_sum / nullif(n.n_services, 0) AS per_service,
       1000.0 * coalesce(n.n_services, 0) / nullif(a.p_sum, 0) AS per_1000,
       a.in_coverage
FROM agg a
LEFT JOIN n ON n.ward_code = a.ward_code AND n.service_type = a.service_type;
