-- _lsoa_place: every LSOA a point can be placed in, with its best-fit ward and LAD: English
-- (lsoa) and Welsh (lsoa_wales; issue 21).
CREATE OR REPLACE TEMP VIEW _lsoa_place AS
SELECT lsoa_code, ward_code, lad_code FROM lsoa
UNION ALL
SELECT lsoa_code, ward_code, lad_code FROM lsoa_wales;
