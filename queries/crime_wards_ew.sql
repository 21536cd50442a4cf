-- _crime_wards: the wards recorded crime is given for: every English and Welsh ward (issue 21;
-- each nation's wards keep their own figures: nothing here is ranked).
CREATE OR REPLACE TEMP VIEW _crime_wards AS
SELECT ward_code, ward_name, lad_code, lad_name, population FROM ward_indicators_england
UNION ALL
SELECT ward_code, ward_name, lad_code, lad_name, population FROM ward_indicators_wales;
