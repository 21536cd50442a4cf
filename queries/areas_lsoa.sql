-- LSOA indicators (every English LSOA 2021). Inputs: lsoa, lookup_lsoa21_wd24, census_lsoa,
-- iod_domains, iod_indicators, iod_idaci_official, cilif_msoa, msoa11, sape20, the weights
-- lsoa11_lsoa21_weight and _under5_l21 (needsmap.areas.lsoa11).
-- Parameters: $cilif_available (BOOLEAN; false when a CiLIF file was missing: cilif_children
-- NULL), $under5_available (false without the mid-2020 estimates or the LSOA11->21 lookup).

-- CiLIF apportioning (see needsmap.ingest.cilif for the formula): MSOA count -> LSOA11 by
-- mid-2020 children; LSOA11 -> LSOA21 by Census 2021 children (w_children of
-- lsoa11_lsoa21_weight, the one LSOA 2011 -> 2021 method: needsmap.areas.lsoa11).
CREATE OR REPLACE TEMP TABLE _cilif_l11 AS
SELECT m.lsoa11_code, 'cilif' AS measure, 'children' AS basis,
       c.children_low_income * s.children_0_15 / nullif(sum(s.children_0_15) OVER (PARTITION BY m.msoa_code), 0)
           AS value
FROM cilif_msoa c
JOIN msoa11 m ON m.msoa_code = c.msoa_code
JOIN sape20 s ON s.lsoa11_code = m.lsoa11_code;

CREATE OR REPLACE TEMP TABLE _cilif_l21 AS
SELECT lsoa_code, value AS cilif_children FROM lsoa11_counts('_cilif_l11');

CREATE OR REPLACE TABLE lsoa_indicators AS
SELECT l.lsoa_code, l.ward_code, l.lad_code,
       c.population, c.children_0_15,
       CASE WHEN $under5_available THEN coalesce(u.under5, 0) END AS under5,
       l.area_km2,
       c.population / nullif(l.area_km2, 0) AS density_per_km2,
       n.idaci_numerator,
       CASE WHEN o.idaci_score IS NOT NULL THEN 'official IDACI score (File 5)'
            WHEN n.idaci_numerator IS NOT NULL THEN 'IDACI numerator / Census 2021 children 0-15'
            ELSE 'IDACI numerator suppressed (0-9): imputed 4.5 / Census 2021 children 0-15' END
           AS child_poverty_method,
       CASE WHEN o.idaci_score IS NOT NULL THEN o.idaci_score
            ELSE coalesce(n.idaci_numerator, 4.5) / nullif(c.children_0_15, 0) END AS child_poverty_rate,
       CASE WHEN o.idaci_score IS NOT NULL THEN o.idaci_score * c.children_0_15
            ELSE coalesce(n.idaci_numerator, 4.5) END AS child_poverty_children,
       n.income_numerator,
       d.income_rate, d.employment_rate, d.education_score, d.health_score, d.crime_score,
       d.barriers_score, d.living_environment_score, d.imd_score, d.imd_rank, d.imd_decile,
       d.income_rank, d.crime_rank,
       CASE WHEN $cilif_available THEN coalesce(cl.cilif_children, 0) END AS cilif_children,
       -- the File 8 proxies of the domains index (needsmap.ingest.iod.DOMAIN_PROXIES)
       n.violence_without_injury_rate, n.violence_with_injury_rate, n.stalking_harassment_rate,
       n.mental_health_indicator, n.public_order_weapons_rate, n.antisocial_behaviour_rate,
       n.overcrowding_bedrooms_share
FROM lsoa l
JOIN census_lsoa c USING (lsoa_code)
LEFT JOIN iod_domains d USING (lsoa_code)
LEFT JOIN iod_indicators n USING (lsoa_code)
LEFT JOIN iod_idaci_official o USING (lsoa_code)
LEFT JOIN _cilif_l21 cl USING (lsoa_code)
LEFT JOIN _under5_l21 u USING (lsoa_code)
ORDER BY l.lsoa_code;
