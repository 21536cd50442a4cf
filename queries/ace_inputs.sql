-- Inputs of the modelled ACE risk index: one row per English ward, every column of
-- ward_indicators_england (the registry names which ones it uses) and police.uk recorded
-- crime (ward_crime) where the crime stage built it.
SELECT w.*, c.rate_12m_per_1000::DOUBLE AS recorded_crime_rate,
       coalesce(c.full_coverage, false) AS recorded_crime_full
FROM ward_indicators_england AS w
LEFT JOIN ward_crime AS c USING (ward_code)
ORDER BY w.ward_code;
