-- ward_need_wales: need measures per Welsh ward, tidy, the twin of ward_need, ranked among the
-- Welsh wards only (never with English wards: WIMD 2019 and IoD2025 are different indices).
-- The WIMD 2019 overall and domain scores (higher = more deprived) and CiLIF child poverty
-- (cilif_rate) as resident-weighted ward values (ward_indicators_wales): need_decile = ntile(10)
-- by value descending among Welsh wards with a value (1 = the highest-need tenth of Welsh
-- wards), need_rank = rank (1 = highest). The Welsh index is added by access_need_wales_ace.sql.
-- Not need measures: WIMD access to services (distance, which Target measures itself) and
-- physical environment.
CREATE OR REPLACE TABLE ward_need_wales AS
WITH long AS (
    UNPIVOT (SELECT ward_code, wimd_score, income_score, employment_score, health_score,
                    education_score, housing_score, community_safety_score, cilif_rate
             FROM ward_indicators_wales)
    ON COLUMNS(* EXCLUDE (ward_code)) INTO NAME need_measure VALUE need_value
)
SELECT ward_code, need_measure, need_value::DOUBLE AS need_value,
       ntile(10) OVER (PARTITION BY need_measure ORDER BY need_value DESC, ward_code) AS need_decile,
       rank() OVER (PARTITION BY need_measure ORDER BY need_value DESC) AS need_rank
FROM long
WHERE need_value IS NOT NULL;
