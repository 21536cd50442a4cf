-- Every LAD of the store (from the national LSOA table): code and name.
SELECT DISTINCT lad_code, lad_name FROM lsoa ORDER BY lad_code;
