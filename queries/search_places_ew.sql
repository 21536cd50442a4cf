-- _search_lsoa: every LSOA the search can name or place a point in, with its best-fit ward, LAD,
-- nation, representative point, polygon and residents: English (lsoa) and Welsh (lsoa_wales,
-- issue 21) LSOAs. The twin of search_places.sql for a store with Wales.
CREATE OR REPLACE TEMP VIEW _search_lsoa AS
SELECT l.lsoa_code, l.ward_code, l.ward_name, l.lad_code, l.lad_name, 'England' AS nation,
       l.centroid_x, l.centroid_y, l.geom, i.population
FROM lsoa l JOIN lsoa_indicators i USING (lsoa_code)
UNION ALL
SELECT l.lsoa_code, l.ward_code, l.ward_name, l.lad_code, l.lad_name, 'Wales' AS nation,
       l.centroid_x, l.centroid_y, l.geom, i.population
FROM lsoa_wales l JOIN lsoa_indicators_wales i USING (lsoa_code);
