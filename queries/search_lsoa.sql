-- Search: the best-fit ward, LAD and nation of the LSOA $lsoa a postcode lies in (_search_lsoa,
-- search_places*.sql: English and, in a store with Wales, Welsh LSOAs).
SELECT ward_code, ward_name, lad_code, lad_name, nation FROM _search_lsoa WHERE lsoa_code = $lsoa
