-- lsoa_change: each English LSOA 2021's national position in IoD2019 and IoD2025, for the
-- measures of needsmap.areas.change.MEASURES (imd, income, idaci, crime). Positions, never
-- levels: the two vintages' scores are not comparable (docs/method.md, "Change since IoD2019").
-- Inputs: iod2019_ranks_f2/_f3 (published LSOA 2011 ranks), sape20 (mid-2020 residents and
-- children of each LSOA 2011), lsoa11_lsoa21_weight and lsoa11_means (needsmap.areas.lsoa11),
-- lsoa_indicators (IoD2025 scores).
--
-- A rank r among N LSOAs is the percentile position p = (r - 0.5) / N (0 = the most deprived
-- end of England, 1 = the least deprived), so the two vintages' 32,844 and 33,755 LSOAs share
-- one scale.
-- pct_2019(t) = sum_l w(l, t) * p(l) * pct19(l) / sum_l w(l, t) * p(l)      (lsoa11_means)
--   with p(l) the LSOA 2011's mid-2020 residents (children for IDACI) and w w_population
--   (w_children for IDACI): a part of a split LSOA takes its parent's position, a merged LSOA
--   the people-weighted mean of its parents'.
-- pct_2025(t): the LSOA's published IoD2025 rank (imd_rank, income_rank, crime_rank) or,
--   where the store has none (IDACI: File 5 is not in the mirror), its rank by the score
--   (child_poverty_rate: the official IDACI score where the store has it, else the numerator
--   over Census 2021 children), ties sharing the mean rank.
-- remap_error(t) = sum_l w p dev(l, t) / sum_l w p, dev(l, t) = pct_2025(t) - sum_t' w(l, t')
--   pct_2025(t') for an LSOA 2011 with more than one target, else 0: how far the LSOA's 2019
--   position would move if, in 2019, it had differed from the rest of its LSOA 2011 as it does
--   in 2025 (the only vintage in which the parts have their own ranks).
CREATE OR REPLACE TEMP TABLE _iod19_src AS
WITH r AS (SELECT * FROM iod2019_ranks_f2 UNION ALL SELECT * FROM iod2019_ranks_f3),
n AS (SELECT measure, greatest(count(*), max(rank)) AS n FROM r GROUP BY measure)
SELECT r.lsoa11_code, r.measure, (r.rank - 0.5) / n.n AS value,
       coalesce(CASE WHEN r.measure = 'idaci' THEN s.children_0_15 ELSE s.all_ages END, 1.0)
           AS weight,
       CASE WHEN r.measure = 'idaci' THEN 'children' ELSE 'population' END AS basis
FROM r JOIN n USING (measure)
LEFT JOIN sape20 s USING (lsoa11_code);

CREATE OR REPLACE TEMP TABLE _iod25_pct AS
WITH v AS (
    SELECT lsoa_code, 'imd' AS measure, imd_score AS x, imd_rank AS r FROM lsoa_indicators
    UNION ALL SELECT lsoa_code, 'income', income_rate, income_rank FROM lsoa_indicators
    UNION ALL SELECT lsoa_code, 'idaci', child_poverty_rate, NULL FROM lsoa_indicators
    UNION ALL SELECT lsoa_code, 'crime', crime_score, crime_rank FROM lsoa_indicators
), k AS (
    SELECT lsoa_code, measure,
           coalesce(r, rank() OVER (PARTITION BY measure ORDER BY x DESC)
                       + (count(*) OVER (PARTITION BY measure, x) - 1) / 2.0) AS rank
    FROM v
    WHERE x IS NOT NULL OR r IS NOT NULL
)
SELECT lsoa_code, measure, (rank - 0.5) / count(*) OVER (PARTITION BY measure) AS pct
FROM k;

CREATE OR REPLACE TEMP TABLE _change_err AS
WITH pairs AS (
    SELECT x.lsoa11_code, x.lsoa21_code, s.measure, x.n_targets, p.pct AS pct25,
           CASE s.basis WHEN 'children' THEN x.w_children ELSE x.w_population END AS w,
           s.weight
    FROM _iod19_src s
    JOIN lsoa11_lsoa21_weight x USING (lsoa11_code)
    LEFT JOIN _iod25_pct p ON p.lsoa_code = x.lsoa21_code AND p.measure = s.measure
), dev AS (
    SELECT *, w * weight AS wp,
           CASE WHEN n_targets > 1
                THEN pct25 - sum(w * pct25) OVER (PARTITION BY lsoa11_code, measure)
                ELSE 0 END AS dev
    FROM pairs
)
SELECT lsoa21_code AS lsoa_code, measure,
       sum(wp * dev) / nullif(sum(wp) FILTER (WHERE dev IS NOT NULL), 0) AS remap_error
FROM dev
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE _iod19_l21 AS
SELECT lsoa_code, measure, value FROM lsoa11_means('_iod19_src');

CREATE OR REPLACE TABLE lsoa_change AS
WITH m AS (SELECT unnest($measures) AS measure),
chg AS (
    SELECT lsoa21_code AS lsoa_code, array_to_string(list_sort(list_distinct(list(change))), '') AS change
    FROM lsoa11_lsoa21_weight GROUP BY 1
)
SELECT l.lsoa_code, m.measure, n.value AS pct_2019, p.pct AS pct_2025,
       CASE WHEN n.value IS NOT NULL THEN coalesce(e.remap_error, 0) END AS remap_error,
       c.change AS lsoa11_change
FROM lsoa_indicators l
CROSS JOIN m
LEFT JOIN _iod19_l21 n ON n.lsoa_code = l.lsoa_code AND n.measure = m.measure
LEFT JOIN _iod25_pct p ON p.lsoa_code = l.lsoa_code AND p.measure = m.measure
LEFT JOIN _change_err e ON e.lsoa_code = l.lsoa_code AND e.measure = m.measure
LEFT JOIN chg c ON c.lsoa_code = l.lsoa_code
ORDER BY l.lsoa_code, m.measure;
