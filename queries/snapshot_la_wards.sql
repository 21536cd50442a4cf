-- Every ward code of LA $lad (from the national lsoa table).
SELECT DISTINCT ward_code FROM lsoa WHERE lad_code = $lad ORDER BY 1;
