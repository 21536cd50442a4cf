-- _crime_wards: the wards recorded crime is given for: every English ward.
CREATE OR REPLACE TEMP VIEW _crime_wards AS
SELECT ward_code, ward_name, lad_code, lad_name, population FROM ward_indicators_england;
