-- No ward_crime table in the store: an empty recorded-crime input, so every
-- ward keeps the IoD crime score (and is flagged as such).
CREATE OR REPLACE TEMP VIEW ace_crime_input AS
SELECT NULL::VARCHAR AS ward_code, NULL::DOUBLE AS rate_12m_per_1000, NULL::BOOLEAN AS full_coverage
WHERE false;
