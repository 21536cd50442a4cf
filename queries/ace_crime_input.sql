-- Recorded crime hook of the ACE index (issue 7 builds ward_crime).
-- Used only when the store has a ward_crime table with columns
-- ward_code, rate_12m_per_1000, full_coverage.
CREATE OR REPLACE TEMP VIEW ace_crime_input AS
SELECT ward_code, rate_12m_per_1000::DOUBLE AS rate_12m_per_1000, full_coverage::BOOLEAN AS full_coverage
FROM ward_crime;
