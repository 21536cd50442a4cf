-- Ward, LAD and England indicators from LSOAs (formulas in aggregate_indicators.sql).
CREATE OR REPLACE TEMP VIEW _grp_ward AS SELECT lsoa_code, ward_code AS group_code FROM lsoa;
CREATE OR REPLACE TEMP VIEW _grp_lad AS SELECT lsoa_code, lad_code AS group_code FROM lsoa;
CREATE OR REPLACE TEMP VIEW _grp_eng AS SELECT lsoa_code, 'E92000001' AS group_code FROM lsoa;

CREATE OR REPLACE TABLE ward_indicators_england AS
SELECT w.ward_code, w.ward_name, w.lad_code, w.lad_name, a.* EXCLUDE (group_code),
       $vintage_iod AS vintage_iod, $vintage_census AS vintage_census,
       $vintage_lookup AS vintage_lookup, $vintage_cilif AS vintage_cilif
FROM (SELECT DISTINCT ward_code, ward_name, lad_code, lad_name FROM lsoa) w
JOIN aggregate_indicators('_grp_ward') a ON a.group_code = w.ward_code
ORDER BY w.ward_code;

CREATE OR REPLACE TABLE lad_indicators AS
SELECT d.lad_code, d.lad_name, a.* EXCLUDE (group_code),
       (SELECT count(DISTINCT ward_code) FROM lsoa s WHERE s.lad_code = d.lad_code)::INTEGER AS n_ward,
       $vintage_iod AS vintage_iod, $vintage_census AS vintage_census,
       $vintage_lookup AS vintage_lookup, $vintage_cilif AS vintage_cilif
FROM (SELECT DISTINCT lad_code, lad_name FROM lsoa) d
JOIN aggregate_indicators('_grp_lad') a ON a.group_code = d.lad_code
ORDER BY d.lad_code;

CREATE OR REPLACE TABLE england_indicators AS
SELECT 'E92000001' AS area_code, 'England' AS area_name, a.* EXCLUDE (group_code),
       $vintage_iod AS vintage_iod, $vintage_census AS vintage_census,
       $vintage_lookup AS vintage_lookup, $vintage_cilif AS vintage_cilif
FROM aggregate_indicators('_grp_eng') a;
