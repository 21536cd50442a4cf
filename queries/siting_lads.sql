-- Every LAD siting can run for: code and name, from the LSOA tables $lsoa_tables (a list, bound:
-- lsoa, and lsoa_wales in a store with Wales).
SELECT DISTINCT lad_code, lad_name FROM query_table($lsoa_tables, true) ORDER BY lad_code;
