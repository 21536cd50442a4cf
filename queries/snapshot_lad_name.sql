-- The name of LA $lad.
SELECT any_value(lad_name) FROM ward_indicators_england WHERE lad_code = $lad;
