-- _search_alt, empty: a store without other LA names (see search_alt_names.sql).
CREATE OR REPLACE TEMP VIEW _search_alt AS
SELECT NULL::VARCHAR AS lad_code, NULL::VARCHAR AS alt_name WHERE false;
