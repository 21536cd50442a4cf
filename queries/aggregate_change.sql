-- aggregate_change(groups): the IoD2019 -> IoD2025 positions of any grouping of LSOAs (ward,
-- locality, LAD), from lsoa_change. `groups` names a table or view with columns (lsoa_code,
-- group_code, w): the LSOA's weight in the group (lsoa_ward_weight.w for wards, summed over a
-- locality's wards; 1 for a LAD).
-- With q_i the LSOA's Census 2021 residents (children aged 15 and under for IDACI), in both
-- vintages, so that only the positions differ between them:
--   pct_2019    = sum(w_i q_i pct2019_i) / sum(w_i q_i)   the people-weighted mean position
--   pct_2025    = sum(w_i q_i pct2025_i) / sum(w_i q_i)   (0 = most deprived end of England)
--   uncertainty = |sum(w_i q_i remap_error_i) / sum(w_i q_i)|   how far the 2019 position
--                 could move if the parts of split LSOAs 2011 had differed in 2019 as in 2025
--   share_remapped = share of the q behind the figures in LSOAs 2021 made from a split or
--                 irregularly changed LSOA 2011 (where the 2019 position is apportioned)
CREATE OR REPLACE MACRO aggregate_change(groups) AS TABLE
WITH x AS (
    SELECT g.group_code, c.measure, c.pct_2019, c.pct_2025, c.remap_error, c.lsoa11_change,
           g.w * (CASE c.measure WHEN 'idaci' THEN i.children_0_15 ELSE i.population END) AS wq
    FROM query_table(groups) g
    JOIN lsoa_change c ON c.lsoa_code = g.lsoa_code
    JOIN lsoa_indicators i ON i.lsoa_code = g.lsoa_code
)
SELECT group_code, measure,
       sum(wq * pct_2019) / nullif(sum(wq) FILTER (WHERE pct_2019 IS NOT NULL), 0) AS pct_2019,
       sum(wq * pct_2025) / nullif(sum(wq) FILTER (WHERE pct_2025 IS NOT NULL), 0) AS pct_2025,
       -- below 1e-9 (parts of one LSOA 2011 in the same ward: the errors cancel) it is 0
       CASE WHEN abs(sum(wq * remap_error)) < 1e-9 * sum(wq) THEN 0.0
            ELSE abs(sum(wq * remap_error) / nullif(sum(wq) FILTER (WHERE remap_error IS NOT NULL), 0))
            END AS uncertainty,
       coalesce(sum(wq) FILTER (WHERE regexp_matches(coalesce(lsoa11_change, ''), '[SX]')), 0)
           / nullif(sum(wq), 0) AS share_remapped
FROM x
GROUP BY ALL;
