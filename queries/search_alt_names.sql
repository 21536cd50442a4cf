-- _search_alt: other names of an LA the search also matches (the Welsh-language names of
-- lad_name_wales, e.g. Casnewydd for Newport). search_alt_none.sql is its empty twin for a store
-- built without that table.
CREATE OR REPLACE TEMP VIEW _search_alt AS
SELECT lad_code, lad_name_cy AS alt_name FROM lad_name_wales WHERE lad_name_cy IS NOT NULL;
