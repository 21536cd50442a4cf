-- The name of LA $lad.
SELECT any_value(lad_name) FROM lsoa WHERE lad_code = $lad;
