-- ace_inputs.sql for a store without ward_crime: every ward keeps the IoD crime score.
SELECT w.*, NULL::DOUBLE AS recorded_crime_rate, false AS recorded_crime_full
FROM ward_indicators_england AS w
ORDER BY w.ward_code;
