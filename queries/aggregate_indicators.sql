-- aggregate_indicators(groups): LSOA -> any grouping of LSOAs (ward, LAD, England, locality).
-- `groups` names a table or view with columns (lsoa_code, group_code, w, population,
-- children_0_15, under5): the weight w of the LSOA in the group (1 for LADs and England; the
-- lsoa_ward_weight w for wards, summed over a locality's wards) and the LSOA's residents,
-- children and under-5s given to the group (whole-number shares that sum exactly to the
-- LSOA's counts: see lsoa_ward_share).
--
-- With x_i the LSOA value and w_i its weight in the group:
-- Counts:                  population, children_0_15, under5: sum of the given whole-number shares
--                          area_km2, child_poverty_children, cilif_children: sum(w_i * x_i)
-- Density:                 sum(w_i * population_i) / sum(w_i * area_km2_i)
-- Child measures (rates):  sum(w_i * numerator_i) / sum(w_i * children_i)
-- Resident measures:       sum(w_i * x_i * population_i) / sum(w_i * population_i)  over LSOAs where
--                          x_i is known (IoD income and employment rates, and the education, health,
--                          crime, IMD scores, as the IoD's own population-weighted LA "average score")
-- n_lsoa and the n_lsoa_cp_* counts count the LSOAs with a weight in the group.
-- The domains index's IoD2025 File 8 proxies (docs/method.md, "The default: three domains")
-- are rates or scores with no published numerator or denominator (police rates per 1,000
-- at-risk population, the overcrowding share, the mental health score), so they are resident
-- measures too: sum(w_i * x_i * population_i) / sum(w_i * population_i) over LSOAs with x_i
-- (exact for a rate when each LSOA's denominator is proportional to its residents).
CREATE OR REPLACE MACRO aggregate_indicators(groups) AS TABLE
SELECT g.group_code,
       count(*)::INTEGER AS n_lsoa,
       sum(g.population)::BIGINT AS population,
       sum(g.children_0_15)::BIGINT AS children_0_15,
       sum(g.under5)::BIGINT AS under5,
       sum(g.w * i.area_km2) AS area_km2,
       sum(g.w * i.population) / nullif(sum(g.w * i.area_km2), 0) AS density_per_km2,
       sum(g.w * i.child_poverty_children) AS child_poverty_children,
       sum(g.w * i.child_poverty_children)
           / nullif(sum(g.w * i.children_0_15) FILTER (WHERE i.child_poverty_children IS NOT NULL), 0)
           AS child_poverty_rate,
       (count(*) FILTER (WHERE i.child_poverty_method LIKE '%imputed%'))::INTEGER AS n_lsoa_cp_imputed,
       (count(*) FILTER (WHERE i.child_poverty_method LIKE 'official%'))::INTEGER AS n_lsoa_cp_official,
       sum(g.w * i.income_rate * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.income_rate IS NOT NULL), 0) AS income_rate,
       sum(g.w * i.employment_rate * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.employment_rate IS NOT NULL), 0) AS employment_rate,
       sum(g.w * i.education_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.education_score IS NOT NULL), 0) AS education_score,
       sum(g.w * i.health_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.health_score IS NOT NULL), 0) AS health_score,
       sum(g.w * i.crime_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.crime_score IS NOT NULL), 0) AS crime_score,
       sum(g.w * i.imd_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.imd_score IS NOT NULL), 0) AS imd_score,
       sum(g.w * i.cilif_children) AS cilif_children,
       sum(g.w * i.cilif_children) / nullif(sum(g.w * i.children_0_15), 0) AS cilif_rate,
       sum(g.w * i.violence_without_injury_rate * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.violence_without_injury_rate IS NOT NULL), 0) AS violence_without_injury_rate,
       sum(g.w * i.violence_with_injury_rate * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.violence_with_injury_rate IS NOT NULL), 0) AS violence_with_injury_rate,
       sum(g.w * i.stalking_harassment_rate * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.stalking_harassment_rate IS NOT NULL), 0) AS stalking_harassment_rate,
       sum(g.w * i.mental_health_indicator * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.mental_health_indicator IS NOT NULL), 0) AS mental_health_indicator,
       sum(g.w * i.public_order_weapons_rate * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.public_order_weapons_rate IS NOT NULL), 0) AS public_order_weapons_rate,
       sum(g.w * i.antisocial_behaviour_rate * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.antisocial_behaviour_rate IS NOT NULL), 0) AS antisocial_behaviour_rate,
       sum(g.w * i.overcrowding_bedrooms_share * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.overcrowding_bedrooms_share IS NOT NULL), 0) AS overcrowding_bedrooms_share
FROM query_table(groups) g
JOIN lsoa_indicators i ON i.lsoa_code = g.lsoa_code
GROUP BY g.group_code;
