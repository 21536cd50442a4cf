-- Locality figures aggregated from LSOAs (issue 6). One row per group of
-- snapshot_group(group_id VARCHAR, ward_code VARCHAR), a relation the caller
-- registers: a locality's wards, every ward of an LA, or every ward in England.
-- The same count/rate rules as the ward, LAD and England tables:
--   counts are summed;
--   proportions are recomputed as sum(numerator) / sum(denominator), where an
--   LSOA numerator is rate x its denominator (children 0-15 for the IDACI child
--   poverty rate and CiLIF, residents for income deprivation), so a locality rate
--   is the children- (or resident-) weighted mean of its LSOA rates, never a mean
--   of ward means;
--   IoD domain scores (crime, health, education, IMD) are resident-weighted means;
--   density = sum(population) / sum(area_km2).
-- Numerators and denominators are returned as well, for the confidence intervals.
WITH l AS (
    SELECT g.group_id, i.*
    FROM snapshot_group AS g
    JOIN lsoa_indicators AS i ON i.ward_code = g.ward_code
)
SELECT
    group_id,
    count(*)                                                            AS n_lsoa,
    count(DISTINCT ward_code)                                           AS n_ward,
    sum(population)                                                     AS population,
    sum(children_0_15)                                                  AS children_0_15,
    sum(area_km2)                                                       AS area_km2,
    sum(population) / nullif(sum(area_km2), 0)                          AS density_per_km2,
    sum(child_poverty_rate * children_0_15)                             AS child_poverty_num,
    sum(children_0_15) FILTER (WHERE child_poverty_rate IS NOT NULL)    AS child_poverty_den,
    sum(child_poverty_rate * children_0_15)
        / nullif(sum(children_0_15) FILTER (WHERE child_poverty_rate IS NOT NULL), 0)
                                                                        AS child_poverty_rate,
    sum(income_rate * population)                                       AS income_num,
    sum(population) FILTER (WHERE income_rate IS NOT NULL)              AS income_den,
    sum(income_rate * population)
        / nullif(sum(population) FILTER (WHERE income_rate IS NOT NULL), 0) AS income_rate,
    sum(crime_score * population)
        / nullif(sum(population) FILTER (WHERE crime_score IS NOT NULL), 0) AS crime_score,
    sum(health_score * population)
        / nullif(sum(population) FILTER (WHERE health_score IS NOT NULL), 0) AS health_score,
    sum(education_score * population)
        / nullif(sum(population) FILTER (WHERE education_score IS NOT NULL), 0) AS education_score,
    sum(imd_score * population)
        / nullif(sum(population) FILTER (WHERE imd_score IS NOT NULL), 0)  AS imd_score,
    sum(cilif_children)                                                 AS cilif_children,
    sum(cilif_children)
        / nullif(sum(children_0_15) FILTER (WHERE cilif_children IS NOT NULL), 0) AS cilif_rate
FROM l
GROUP BY group_id
ORDER BY group_id
