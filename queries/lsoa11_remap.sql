-- LSOA 2011 -> LSOA 2021 with the weights of lsoa11_lsoa21_weight (needsmap.areas.lsoa11).
-- Temporary macros, for the build.
--
-- lsoa11_counts(src): counts. src(lsoa11_code, measure, value, basis), basis 'population' or
-- 'children' (which weight carries it). For LSOA 2021 t:
--     count(t) = sum_l w_basis(l, t) * count(l)
-- and whole numbers that keep each LSOA 2011's count exactly (largest remainder within the
-- LSOA 2011: floor(w * count) for each target, then one more to the largest fractional parts,
-- ties by LSOA 2021 code), summed over the LSOAs 2011 of t.
CREATE OR REPLACE TEMP MACRO lsoa11_counts(src) AS TABLE
WITH x AS (
    SELECT s.lsoa11_code, s.measure, x.lsoa21_code,
           s.value * CASE s.basis WHEN 'children' THEN x.w_children ELSE x.w_population END AS q,
           s.value AS total
    FROM query_table(src) s
    JOIN lsoa11_lsoa21_weight x ON x.lsoa11_code = s.lsoa11_code
), r AS (
    SELECT *,
           total - sum(floor(q)) OVER (PARTITION BY lsoa11_code, measure) AS short,
           row_number() OVER (PARTITION BY lsoa11_code, measure
                              ORDER BY q - floor(q) DESC, lsoa21_code) AS pos
    FROM x
)
SELECT lsoa21_code AS lsoa_code, measure, sum(q) AS value,
       sum(floor(q) + CASE WHEN pos <= short THEN 1 ELSE 0 END)::BIGINT AS value_whole
FROM r
GROUP BY ALL;

-- lsoa11_means(src): values of an area (a rank, a rate, a score). src(lsoa11_code, measure,
-- value, weight, basis): weight p(l) is the LSOA 2011's people the value describes (mid-2020
-- residents or children). For LSOA 2021 t, the mean over the people carried to it:
--     x(t) = sum_l w_basis(l, t) * p(l) * x(l) / sum_l w_basis(l, t) * p(l)
-- A part of a split LSOA 2011 takes its parent's value; a merged LSOA 2021 the people-weighted
-- mean of its parents'.
CREATE OR REPLACE TEMP MACRO lsoa11_means(src) AS TABLE
WITH x AS (
    SELECT x.lsoa21_code, s.measure, s.value,
           s.weight * CASE s.basis WHEN 'children' THEN x.w_children ELSE x.w_population END AS wp
    FROM query_table(src) s
    JOIN lsoa11_lsoa21_weight x ON x.lsoa11_code = s.lsoa11_code
    WHERE s.value IS NOT NULL
)
SELECT lsoa21_code AS lsoa_code, measure, sum(wp * value) / nullif(sum(wp), 0) AS value,
       count(*)::INTEGER AS n_lsoa11
FROM x
GROUP BY ALL;
