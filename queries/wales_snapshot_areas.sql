-- Welsh LA snapshot (issue 21): the LA and Wales (the comparator) from the same aggregation
-- (wales_aggregate in wales_aggregate.sql), with recorded crime summed over wards of full
-- coverage, and the children-weighted Welsh index of each. $lad: a Welsh LAD24 code.
WITH crime AS (
    SELECT w.lad_code, sum(c.crimes_12m) AS crimes_12m, sum(c.population) AS crime_pop,
           bool_and(c.full_coverage) AS full_coverage
    FROM ward_crime c JOIN ward_indicators_wales w USING (ward_code)
    GROUP BY w.lad_code
), ace AS (
    SELECT lad_code, welsh_ace_score, welsh_ace_rank FROM lad_ace_wales
)
SELECT 'la' AS area, l.lad_code AS area_code, l.lad_name AS area_name, l.n_lsoa, l.n_ward,
       l.population, l.children_0_15, l.under5, l.area_km2, l.density_per_km2, l.cilif_children,
       l.cilif_rate, l.wimd_score, l.income_score, l.employment_score, l.health_score,
       l.education_score, l.access_to_services_score, l.housing_score,
       l.community_safety_score, l.physical_environment_score,
       CASE WHEN c.full_coverage THEN c.crimes_12m END AS crimes_12m, c.crime_pop,
       a.welsh_ace_score
FROM lad_indicators_wales l LEFT JOIN crime c USING (lad_code) LEFT JOIN ace a USING (lad_code)
WHERE l.lad_code = $lad
UNION ALL
SELECT 'wales', w.area_code, w.area_name, w.n_lsoa, (SELECT count(*) FROM ward_indicators_wales),
       w.population, w.children_0_15, w.under5, w.area_km2, w.density_per_km2, w.cilif_children,
       w.cilif_rate, w.wimd_score, w.income_score, w.employment_score, w.health_score,
       w.education_score, w.access_to_services_score, w.housing_score,
       w.community_safety_score, w.physical_environment_score, NULL, NULL,
       (SELECT sum(children_0_15 * welsh_ace_score) / sum(children_0_15) FROM ward_ace_wales)
FROM wales_indicators w;
