-- aggregate_indicators(groups): LSOA -> any grouping of LSOAs (ward, LAD, England, locality).
-- `groups` names a table or view with columns (lsoa_code, group_code).
--
-- Counts are summed:       population, children_0_15, area_km2, child_poverty_children, cilif_children
-- Density:                 sum(population) / sum(area_km2)
-- Child measures (rates):  sum(rate_i * children_i) / sum(children_i)   (= sum(numerator) / sum(children))
-- Resident measures:       sum(x_i * population_i) / sum(population_i)  over LSOAs where x_i is known
--                          (IoD income and employment rates, and the education, health, crime, IMD scores,
--                          as the IoD's own population-weighted LA "average score")
CREATE OR REPLACE MACRO aggregate_indicators(groups) AS TABLE
SELECT g.group_code,
       count(*)::INTEGER AS n_lsoa,
       sum(i.population)::BIGINT AS population,
       sum(i.children_0_15)::BIGINT AS children_0_15,
       sum(i.area_km2) AS area_km2,
       sum(i.population) / nullif(sum(i.area_km2), 0) AS density_per_km2,
       sum(i.child_poverty_children) AS child_poverty_children,
       sum(i.child_poverty_children)
           / nullif(sum(i.children_0_15) FILTER (WHERE i.child_poverty_children IS NOT NULL), 0)
           AS child_poverty_rate,
       (count(*) FILTER (WHERE i.child_poverty_method LIKE '%imputed%'))::INTEGER AS n_lsoa_cp_imputed,
       (count(*) FILTER (WHERE i.child_poverty_method LIKE 'official%'))::INTEGER AS n_lsoa_cp_official,
       sum(i.income_rate * i.population) / nullif(sum(i.population) FILTER (WHERE i.income_rate IS NOT NULL), 0) AS income_rate,
       sum(i.employment_rate * i.population) / nullif(sum(i.population) FILTER (WHERE i.employment_rate IS NOT NULL), 0) AS employment_rate,
       sum(i.education_score * i.population) / nullif(sum(i.population) FILTER (WHERE i.education_score IS NOT NULL), 0) AS education_score,
       sum(i.health_score * i.population) / nullif(sum(i.population) FILTER (WHERE i.health_score IS NOT NULL), 0) AS health_score,
       sum(i.crime_score * i.population) / nullif(sum(i.population) FILTER (WHERE i.crime_score IS NOT NULL), 0) AS crime_score,
       sum(i.imd_score * i.population) / nullif(sum(i.population) FILTER (WHERE i.imd_score IS NOT NULL), 0) AS imd_score,
       sum(i.cilif_children) AS cilif_children,
       sum(i.cilif_children) / nullif(sum(i.children_0_15), 0) AS cilif_rate
FROM query_table(groups) g
JOIN lsoa_indicators i ON i.lsoa_code = g.lsoa_code
GROUP BY g.group_code;
