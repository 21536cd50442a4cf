-- _search_lsoa: every LSOA the search can name or place a point in, with its best-fit ward, LAD,
-- nation, representative point, polygon and residents: English LSOAs only (a store built
-- without Wales; search_places_ew.sql adds the Welsh ones). search_names.sql, search_area.sql and
-- search_lsoa.sql read it, so each search concept stays one query for both nations.
CREATE OR REPLACE TEMP VIEW _search_lsoa AS
SELECT l.lsoa_code, l.ward_code, l.ward_name, l.lad_code, l.lad_name, 'England' AS nation,
       l.centroid_x, l.centroid_y, l.geom, i.population
FROM lsoa l JOIN lsoa_indicators i USING (lsoa_code);
