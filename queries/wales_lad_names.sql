-- lad_name_wales: every Welsh LAD24 with its Welsh-language name where the data has one.
-- Input: the registered frame _lad_names_cy(name_en, name_cy), the bilingual names of the DWP
-- Stat-Xplore LA export ("Newport / Casnewydd", needsmap.ingest.cilif.welsh_la_names), matched
-- to the ONS lookup's LAD names (case-insensitive). An LA whose name is the same in both
-- languages (Gwynedd, Powys, ...) or a store without the file has NULL.
CREATE OR REPLACE TABLE lad_name_wales AS
SELECT d.lad_code, d.lad_name, any_value(n.name_cy) AS lad_name_cy
FROM (SELECT DISTINCT lad_code, lad_name FROM lookup_lsoa21_wd24_wales) d
LEFT JOIN _lad_names_cy n ON lower(n.name_en) = lower(d.lad_name)
GROUP BY ALL
ORDER BY d.lad_code;
