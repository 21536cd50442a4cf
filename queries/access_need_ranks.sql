-- need_ranks(wards, measures): the tidy need table of one nation, for ward_need
-- (access_need.sql) and ward_need_wales (access_need_wales.sql). `wards` names the nation's ward
-- table, `measures` lists its columns to rank (all "higher = more deprived"). One row per
-- (ward, measure) with a value:
--   need_decile = ntile(10) ordered by value descending, ties by ward code (1 = the
--                 highest-need tenth of the nation's wards: the IoD / ward_ace convention)
--   need_rank   = rank by value descending (1 = highest need)
-- Each nation's wards are ranked among themselves only.
CREATE OR REPLACE TEMP MACRO need_ranks(wards, measures) AS TABLE
WITH long AS (
    UNPIVOT (SELECT ward_code, COLUMNS(c -> list_contains(measures, c)) FROM query_table(wards))
    ON COLUMNS(* EXCLUDE (ward_code)) INTO NAME need_measure VALUE need_value
)
SELECT ward_code, need_measure, need_value::DOUBLE AS need_value,
       ntile(10) OVER (PARTITION BY need_measure ORDER BY need_value DESC, ward_code) AS need_decile,
       rank() OVER (PARTITION BY need_measure ORDER BY need_value DESC) AS need_rank
FROM long
WHERE need_value IS NOT NULL;
