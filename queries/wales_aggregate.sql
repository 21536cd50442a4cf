-- Wales (issue 21): Welsh LSOA -> ward, LAD and Wales (docs/method.md, "Wales").
-- Inputs: lsoa_indicators_wales; _wales_weight (registered: lsoa_code, ward_code, w, method),
-- _wales_wards (registered: ward_code, ward_name, lad_code, lad_name, value_method,
-- fit_share_of_ward, fit_spill, fit_poor), _wales_ward_geom (ward_code, wkb, wkb_wgs84) and
-- $geom_method.
-- Counts: residents, children and under-5s as whole-number shares of each LSOA (largest
-- remainder: the lsoa_shares macro of areas_wards.sql, as lsoa_ward_share), so every Welsh
-- LAD's and Wales's sums equal the Census sums; cilif_children, area: sum(w x). Rates
-- recomputed: cilif_rate = sum(w cilif) / sum(w kids); density = sum(w pop) / sum(w area).
-- WIMD scores: resident-weighted means sum(w p x) / sum(w p) over LSOAs with a value.
INSERT INTO lsoa_ward_weight SELECT lsoa_code, ward_code, w::DOUBLE, method FROM _wales_weight;

-- The twin of lsoa_ward_share for Welsh wards (the same macro on the Welsh LSOAs): the access
-- stage weights Welsh distances by it (ward_access_wales).
CREATE OR REPLACE VIEW lsoa_ward_share_wales AS
SELECT * FROM lsoa_shares('lsoa_ward_weight', 'lsoa_indicators_wales');

CREATE OR REPLACE TEMP TABLE _wales_share AS
SELECT lsoa_code, ward_code AS group_code, w, population, children_0_15, under5
FROM lsoa_shares('_wales_weight', 'lsoa_indicators_wales');

CREATE OR REPLACE TEMP MACRO wales_aggregate(groups) AS TABLE
SELECT g.group_code,
       count(*)::INTEGER AS n_lsoa,
       sum(g.population)::BIGINT AS population,
       sum(g.children_0_15)::BIGINT AS children_0_15,
       sum(g.under5)::BIGINT AS under5,
       sum(g.w * i.area_km2) AS area_km2,
       sum(g.w * i.population) / nullif(sum(g.w * i.area_km2), 0) AS density_per_km2,
       sum(g.w * i.cilif_children) AS cilif_children,
       sum(g.w * i.cilif_children) / nullif(sum(g.w * i.children_0_15), 0) AS cilif_rate,
       sum(g.w * i.wimd_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.wimd_score IS NOT NULL), 0) AS wimd_score,
       sum(g.w * i.income_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.income_score IS NOT NULL), 0) AS income_score,
       sum(g.w * i.employment_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.employment_score IS NOT NULL), 0) AS employment_score,
       sum(g.w * i.health_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.health_score IS NOT NULL), 0) AS health_score,
       sum(g.w * i.education_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.education_score IS NOT NULL), 0) AS education_score,
       sum(g.w * i.access_to_services_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.access_to_services_score IS NOT NULL), 0) AS access_to_services_score,
       sum(g.w * i.housing_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.housing_score IS NOT NULL), 0) AS housing_score,
       sum(g.w * i.community_safety_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.community_safety_score IS NOT NULL), 0) AS community_safety_score,
       sum(g.w * i.physical_environment_score * i.population) / nullif(sum(g.w * i.population) FILTER (WHERE i.physical_environment_score IS NOT NULL), 0) AS physical_environment_score
FROM query_table(groups) g
JOIN lsoa_indicators_wales i ON i.lsoa_code = g.lsoa_code
GROUP BY g.group_code;

CREATE OR REPLACE TEMP VIEW _wales_lad_grp AS
SELECT lsoa_code, lad_code AS group_code, 1.0 AS w, population, children_0_15, under5
FROM lsoa_indicators_wales;
CREATE OR REPLACE TEMP VIEW _wales_grp AS
SELECT lsoa_code, 'W92000004' AS group_code, 1.0 AS w, population, children_0_15, under5
FROM lsoa_indicators_wales;

-- every Welsh ward, including the 10 the lookup leaves empty (area shares) and any no LSOA reaches
CREATE OR REPLACE TABLE ward_indicators_wales AS
SELECT l.ward_code, l.ward_name, l.lad_code, l.lad_name, 'Wales' AS nation,
       coalesce(a.n_lsoa, 0)::INTEGER AS n_lsoa, a.* EXCLUDE (group_code, n_lsoa),
       l.value_method, l.fit_share_of_ward::DOUBLE AS fit_share_of_ward,
       l.fit_spill::DOUBLE AS fit_spill, l.fit_poor::BOOLEAN AS fit_poor,
       'WIMD 2019 (Welsh Government), LSOA 2011 carried to 2021' AS vintage_wimd,
       'Census 2021 (ONS)' AS vintage_census,
       'LSOA21->WD24 best fit (ONS, May 2024), with LSOA area shares for wards the lookup leaves empty' AS vintage_lookup,
       'CiLIF FYE2022 provisional (DWP), MSOA 2011 apportioned' AS vintage_cilif
FROM _wales_wards l
LEFT JOIN wales_aggregate('_wales_share') a ON a.group_code = l.ward_code
ORDER BY l.ward_code;

CREATE OR REPLACE TABLE lad_indicators_wales AS
SELECT d.lad_code, d.lad_name, 'Wales' AS nation, a.* EXCLUDE (group_code),
       (SELECT count(*) FROM _wales_wards w WHERE w.lad_code = d.lad_code)::INTEGER AS n_ward
FROM (SELECT DISTINCT lad_code, lad_name FROM lsoa_indicators_wales) d
JOIN wales_aggregate('_wales_lad_grp') a ON a.group_code = d.lad_code
ORDER BY d.lad_code;

CREATE OR REPLACE TABLE wales_indicators AS
SELECT 'W92000004' AS area_code, 'Wales' AS area_name, a.* EXCLUDE (group_code)
FROM wales_aggregate('_wales_grp') a;

-- Welsh wards in scope beside the English ones in `ward`, with their nation
INSERT INTO ward BY NAME
SELECT l.ward_code, l.ward_name, l.lad_code, l.lad_name, 'Wales' AS nation,
       $geom_method AS geom_method, ST_GeomFromWKB(g.wkb) AS geom,
       ST_GeomFromWKB(g.wkb_wgs84) AS geom_wgs84
FROM _wales_wards l JOIN _wales_ward_geom g USING (ward_code)
WHERE l.lad_code IN (SELECT lad_code FROM scope_lad);

-- wards in scope with geometry (the Welsh twin of ward_indicators)
CREATE OR REPLACE VIEW ward_indicators_wales_geo AS
SELECT e.*, w.geom_method, w.geom, w.geom_wgs84
FROM ward_indicators_wales e JOIN ward w USING (ward_code);
