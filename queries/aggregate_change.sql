-- aggregate_change(groups): the IoD2019 -> IoD2025 positions of any grouping of LSOAs (ward,
-- locality, LAD), from lsoa_change. `groups` names a table or view with columns (lsoa_code,
-- group_code, w): the LSOA's weight in the group (lsoa_ward_weight.w for wards, summed over a
-- locality's wards; 1 for a LAD).
-- With q_i the LSOA's Census 2021 residents (children aged 15 and under for IDACI), in both
-- vintages, so that only the positions differ between them:
--   pct_2019    = sum(w_i q_i pct2019_i) / sum(w_i q_i)   the people-weighted mean position
--   pct_2025    = sum(w_i q_i pct2025_i) / sum(w_i q_i)   (0 = most deprived end of England)
--   uncertainty = sum_l |sum_{i in parts(l)} w_i q_i remap_error_i| / sum(w_i q_i)
--                 how far the 2019 position could move if the parts of each split LSOA 2011 l
--                 had differed in 2019 as in 2025. Parts of one LSOA 2011 inside the group
--                 cancel (their 2019 figure is exact for the group); the errors of different
--                 LSOAs 2011 add in absolute value (they are not assumed to cancel).
--   share_remapped = share of the q behind the figures in LSOAs 2021 made from a split or
--                 irregularly changed LSOA 2011 (where the 2019 position is apportioned)
-- parts(l): the LSOAs 2021 whose LSOA 2011 l went to more than one LSOA 2021 (an LSOA 2021
-- of an irregular change with several such parents goes with the first by code).
CREATE OR REPLACE MACRO aggregate_change(groups) AS TABLE
WITH par AS (
    SELECT lsoa21_code AS lsoa_code, min(lsoa11_code) FILTER (WHERE n_targets > 1) AS parent
    FROM lsoa11_lsoa21_weight
    GROUP BY ALL
), x AS (
    SELECT g.group_code, c.measure, coalesce(p.parent, c.lsoa_code) AS parent,
           c.pct_2019, c.pct_2025, c.remap_error, c.lsoa11_change,
           g.w * (CASE c.measure WHEN 'idaci' THEN i.children_0_15 ELSE i.population END) AS wq
    FROM query_table(groups) g
    JOIN lsoa_change c ON c.lsoa_code = g.lsoa_code
    JOIN lsoa_indicators i ON i.lsoa_code = g.lsoa_code
    LEFT JOIN par p ON p.lsoa_code = g.lsoa_code
), e AS (  -- per LSOA 2011 (or unsplit LSOA 2021): the signed error; below 1e-9 it is 0
    SELECT group_code, measure,
           CASE WHEN abs(sum(wq * remap_error)) < 1e-9 * sum(wq) THEN 0.0
                ELSE abs(sum(wq * remap_error)) END AS abs_err
    FROM x
    WHERE remap_error IS NOT NULL
    GROUP BY group_code, measure, parent
), u AS (
    SELECT group_code, measure, sum(abs_err) AS abs_err FROM e GROUP BY ALL
), a AS (
    SELECT group_code, measure,
           sum(wq * pct_2019) / nullif(sum(wq) FILTER (WHERE pct_2019 IS NOT NULL), 0) AS pct_2019,
           sum(wq * pct_2025) / nullif(sum(wq) FILTER (WHERE pct_2025 IS NOT NULL), 0) AS pct_2025,
           nullif(sum(wq) FILTER (WHERE remap_error IS NOT NULL), 0) AS q_err,
           coalesce(sum(wq) FILTER (WHERE regexp_matches(coalesce(lsoa11_change, ''), '[SX]')), 0)
               / nullif(sum(wq), 0) AS share_remapped
    FROM x
    GROUP BY ALL
)
SELECT a.group_code, a.measure, a.pct_2019, a.pct_2025,
       u.abs_err / a.q_err AS uncertainty, a.share_remapped
FROM a
LEFT JOIN u USING (group_code, measure);
