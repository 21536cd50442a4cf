-- Every ward code of LA $lad (all of its wards, from ward_indicators_england).
SELECT ward_code FROM ward_indicators_england WHERE lad_code = $lad ORDER BY 1;
