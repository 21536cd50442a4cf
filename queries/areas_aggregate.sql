-- LAD and England indicators from LSOAs (formulas in aggregate_indicators.sql); every LSOA has
-- weight 1 in its LAD and in England. The ward tables follow in areas_wards.sql, once the
-- LSOA->ward weights exist; lad_indicators is completed there with its number of wards.
CREATE OR REPLACE TEMP VIEW _grp_lad AS
SELECT lsoa_code, lad_code AS group_code, 1.0 AS w, population, children_0_15, under5
FROM lsoa_indicators;
CREATE OR REPLACE TEMP VIEW _grp_eng AS
SELECT lsoa_code, 'E92000001' AS group_code, 1.0 AS w, population, children_0_15, under5
FROM lsoa_indicators;

CREATE OR REPLACE TEMP TABLE _lad_agg AS
SELECT d.lad_code, d.lad_name, a.* EXCLUDE (group_code)
FROM (SELECT DISTINCT lad_code, lad_name FROM lsoa) d
JOIN aggregate_indicators('_grp_lad') a ON a.group_code = d.lad_code;

CREATE OR REPLACE TABLE england_indicators AS
SELECT 'E92000001' AS area_code, 'England' AS area_name, a.* EXCLUDE (group_code),
       $vintage_iod AS vintage_iod, $vintage_census AS vintage_census,
       $vintage_lookup AS vintage_lookup, $vintage_cilif AS vintage_cilif
FROM aggregate_indicators('_grp_eng') a;
