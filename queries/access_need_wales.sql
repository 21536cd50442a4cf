-- ward_need_wales: need measures per Welsh ward, tidy, the twin of ward_need, ranked among the
-- Welsh wards only (never with English wards: WIMD 2019 and IoD2025 are different indices).
-- The WIMD 2019 overall and domain scores (higher = more deprived) and CiLIF child poverty
-- (cilif_rate) as resident-weighted ward values (ward_indicators_wales): need_decile = ntile(10)
-- by value descending among Welsh wards with a value (1 = the highest-need tenth of Welsh
-- wards), need_rank = rank (1 = highest). The Welsh index is added by access_need_wales_ace.sql.
-- Not need measures: WIMD access to services (distance, which Target measures itself) and
-- physical environment.
CREATE OR REPLACE TABLE ward_need_wales AS
SELECT * FROM need_ranks('ward_indicators_wales',
                         ['wimd_score', 'income_score', 'employment_score', 'health_score',
                          'education_score', 'housing_score', 'community_safety_score',
                          'cilif_rate']);
