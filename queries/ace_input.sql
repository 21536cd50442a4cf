-- Inputs of the modelled ACE risk index, one row per (ward, indicator) with a value.
-- Every indicator is oriented so that a higher value means more adversity.
-- Indicator names must match needsmap.index.indicators.INDICATORS.
-- Needs: ward_indicators_england (all English wards) and the view ace_crime_input.

-- Ward attributes carried beside the index outputs.
CREATE OR REPLACE TEMP TABLE ace_ward AS
SELECT w.ward_code, w.ward_name, w.lad_code, w.lad_name,
       w.population::DOUBLE AS population, w.children_0_15::DOUBLE AS children_0_15,
       CASE WHEN c.full_coverage AND c.rate_12m_per_1000 IS NOT NULL
            THEN 'police_recorded_12m' ELSE 'iod_crime_score' END AS recorded_crime_source
FROM ward_indicators_england AS w
LEFT JOIN (SELECT * FROM ace_crime_input WHERE full_coverage) AS c USING (ward_code);

-- recorded_crime: where police coverage is full, the ward's quantile r/(n+1) of the
-- recorded rate among fully covered wards; elsewhere its quantile of the IoD crime score
-- among all wards. The merged quantiles are ranked again like any other indicator.
CREATE OR REPLACE TEMP TABLE ace_input AS
WITH iod_q AS (
    SELECT ward_code,
           (rank() OVER (ORDER BY crime_score)
            + (count(*) OVER (PARTITION BY crime_score) - 1) / 2.0)
           / (count(*) OVER () + 1) AS q
    FROM ward_indicators_england
    WHERE crime_score IS NOT NULL AND isfinite(crime_score)
), rec AS (
    SELECT c.ward_code, c.rate_12m_per_1000 AS rate
    FROM ace_crime_input AS c
    JOIN ward_indicators_england AS w USING (ward_code)
    WHERE c.full_coverage AND c.rate_12m_per_1000 IS NOT NULL AND isfinite(c.rate_12m_per_1000)
), rec_q AS (
    SELECT ward_code,
           (rank() OVER (ORDER BY rate) + (count(*) OVER (PARTITION BY rate) - 1) / 2.0)
           / (count(*) OVER () + 1) AS q
    FROM rec
), long AS (
    SELECT ward_code, 'child_poverty' AS indicator, child_poverty_rate::DOUBLE AS value
    FROM ward_indicators_england
    UNION ALL
    SELECT ward_code, 'income', income_rate::DOUBLE FROM ward_indicators_england
    UNION ALL
    SELECT ward_code, 'crime', crime_score::DOUBLE FROM ward_indicators_england
    UNION ALL
    SELECT ward_code, 'density',
           CASE WHEN density_per_km2 > 0 THEN ln(density_per_km2::DOUBLE) END
    FROM ward_indicators_england
    UNION ALL
    SELECT ward_code, 'health', health_score::DOUBLE FROM ward_indicators_england
    UNION ALL
    SELECT i.ward_code, 'recorded_crime', coalesce(r.q, i.q)
    FROM iod_q AS i LEFT JOIN rec_q AS r USING (ward_code)
)
SELECT ward_code, indicator, value
FROM long
WHERE value IS NOT NULL AND isfinite(value);
