-- Without the Census 2021 file: residents and children 0-15 of each LSOA from IoD2025 File 7's
-- mid-2022 population denominators (Total population: mid 2022; Dependent Children aged 0-15:
-- mid 2022), the same columns census_lsoa has.
CREATE OR REPLACE TEMP TABLE census_lsoa AS
SELECT lsoa_code, population_mid2022::BIGINT AS population,
       children_0_15_mid2022::BIGINT AS children_0_15, 6 AS n_bands
FROM iod_file7
WHERE population_mid2022 IS NOT NULL;
