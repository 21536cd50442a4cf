-- The File 8 proxies of the domains index (docs/method.md, "Domains"), LSOA -> ward, LAD and
-- England, added to the indicator tables that areas_aggregate.sql wrote (before their
-- vintage columns). Kept apart from aggregate_indicators.sql so the two evolve separately.
--
-- Every proxy is a rate or score without a published numerator or denominator (police rates
-- per 1,000 at-risk population, the Census overcrowding share, the mental health score), so
-- an area's value is the resident-weighted mean over its LSOAs with a value:
--     x_area = sum(x_i * population_i) / sum(population_i)   (LSOAs i where x_i is known)
-- exact for a rate when each LSOA's denominator is proportional to its residents; the IoD's
-- own population-weighted "average score" for the mental health score.
CREATE OR REPLACE MACRO aggregate_domain_proxies(groups) AS TABLE
SELECT g.group_code,
       sum(i.violence_without_injury_rate * i.population) / nullif(sum(i.population) FILTER (WHERE i.violence_without_injury_rate IS NOT NULL), 0) AS violence_without_injury_rate,
       sum(i.violence_with_injury_rate * i.population) / nullif(sum(i.population) FILTER (WHERE i.violence_with_injury_rate IS NOT NULL), 0) AS violence_with_injury_rate,
       sum(i.stalking_harassment_rate * i.population) / nullif(sum(i.population) FILTER (WHERE i.stalking_harassment_rate IS NOT NULL), 0) AS stalking_harassment_rate,
       sum(i.mental_health_indicator * i.population) / nullif(sum(i.population) FILTER (WHERE i.mental_health_indicator IS NOT NULL), 0) AS mental_health_indicator,
       sum(i.public_order_weapons_rate * i.population) / nullif(sum(i.population) FILTER (WHERE i.public_order_weapons_rate IS NOT NULL), 0) AS public_order_weapons_rate,
       sum(i.antisocial_behaviour_rate * i.population) / nullif(sum(i.population) FILTER (WHERE i.antisocial_behaviour_rate IS NOT NULL), 0) AS antisocial_behaviour_rate,
       sum(i.overcrowding_bedrooms_share * i.population) / nullif(sum(i.population) FILTER (WHERE i.overcrowding_bedrooms_share IS NOT NULL), 0) AS overcrowding_bedrooms_share
FROM query_table(groups) g
JOIN lsoa_indicators i ON i.lsoa_code = g.lsoa_code
GROUP BY g.group_code;

CREATE OR REPLACE TABLE ward_indicators_england AS
SELECT e.* EXCLUDE (vintage_iod, vintage_census, vintage_lookup, vintage_cilif),
       p.* EXCLUDE (group_code),
       e.vintage_iod, e.vintage_census, e.vintage_lookup, e.vintage_cilif
FROM ward_indicators_england e
LEFT JOIN aggregate_domain_proxies('_grp_ward') p ON p.group_code = e.ward_code
ORDER BY e.ward_code;

CREATE OR REPLACE TABLE lad_indicators AS
SELECT e.* EXCLUDE (vintage_iod, vintage_census, vintage_lookup, vintage_cilif),
       p.* EXCLUDE (group_code),
       e.vintage_iod, e.vintage_census, e.vintage_lookup, e.vintage_cilif
FROM lad_indicators e
LEFT JOIN aggregate_domain_proxies('_grp_lad') p ON p.group_code = e.lad_code
ORDER BY e.lad_code;

CREATE OR REPLACE TABLE england_indicators AS
SELECT e.* EXCLUDE (vintage_iod, vintage_census, vintage_lookup, vintage_cilif),
       p.* EXCLUDE (group_code),
       e.vintage_iod, e.vintage_census, e.vintage_lookup, e.vintage_cilif
FROM england_indicators e
LEFT JOIN aggregate_domain_proxies('_grp_eng') p ON p.group_code = e.area_code;
