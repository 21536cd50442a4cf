-- ward_need: need measures per English ward in one tidy table, for ward_gaps.
-- need_decile: 1 = the highest-need tenth of English wards (the IoD / ward_ace convention);
-- need_rank: 1 = highest need. For the indicators (all "higher = more deprived"), deciles and
-- ranks are computed across every English ward with a value (need_ranks,
-- access_need_ranks.sql, run first). The ACE index, when present, is added by
-- access_need_ace.sql as given by ward_ace (ace_decile_england, ace_rank_england).
CREATE OR REPLACE TABLE ward_need AS
SELECT * FROM need_ranks('ward_indicators_england',
                         ['imd_score', 'income_rate', 'employment_rate', 'education_score',
                          'health_score', 'crime_score', 'child_poverty_rate']);
