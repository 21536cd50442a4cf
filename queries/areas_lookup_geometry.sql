-- What the geometry worker needs from the lookup: every English LSOA's best-fit ward and LAD
-- (with the ward's name and LAD name), and whether the LAD is in the build scope.
SELECT lsoa_code, ward_code, ward_name, lad_code, lad_name,
       lad_code IN (SELECT lad_code FROM scope_lad) AS in_scope
FROM lookup_lsoa21_wd24;
