-- English LSOAs of the lookup that have no boundary (must be 0).
SELECT count(*) FROM lookup_lsoa21_wd24 WHERE lsoa_code NOT IN (SELECT lsoa_code FROM lsoa);
