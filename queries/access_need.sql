-- ward_need: need measures per English ward in one tidy table, for ward_gaps.
-- need_decile: 1 = the highest-need tenth of English wards (the IoD / ward_ace convention);
-- need_rank: 1 = highest need. For the indicators (all "higher = more deprived"), deciles and
-- ranks are computed here across every English ward with a value (ntile(10) ordered by value
-- descending). The ACE index, when present, is added by access_need_ace.sql as given by
-- ward_ace (ace_decile_england, ace_rank_england).
CREATE OR REPLACE TABLE ward_need AS
WITH long AS (
    UNPIVOT (SELECT ward_code, imd_score, income_rate, employment_rate, education_score,
                    health_score, crime_score, child_poverty_rate
             FROM ward_indicators_england)
    ON COLUMNS(* EXCLUDE (ward_code)) INTO NAME need_measure VALUE need_value
)
SELECT ward_code, need_measure, need_value::DOUBLE AS need_value,
       ntile(10) OVER (PARTITION BY need_measure ORDER BY need_value DESC, ward_code) AS need_decile,
       rank() OVER (PARTITION BY need_measure ORDER BY need_value DESC) AS need_rank
FROM long
WHERE need_value IS NOT NULL;
