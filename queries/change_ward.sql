-- ward_change: every English ward's national position in IoD2019 and IoD2025 on today's
-- (May 2024) boundaries, per measure (needsmap.areas.change; docs/method.md, "Change since
-- IoD2019"). Inputs: lsoa_change, lsoa_ward_weight, ward_indicators_england, the macro
-- aggregate_change. $measures: the measure keys in order.
--
-- Per measure and vintage, wards are ranked by their people-weighted mean LSOA position
-- (aggregate_change; rank 1 = most deprived; ties by ward code) and cut into deciles as
-- ward_need does (ntile(10) over the ranked wards: decile 1 = the most deprived tenth).
-- rank_change = rank_2019 - rank_2025 and decile_change = decile_2019 - decile_2025: positive
-- = more deprived relative to England than in 2019.
-- The rank uncertainty of the remapping: the ward's 2019 rank if its 2019 position moved by
-- its uncertainty u either way, the other wards staying where they are:
--   rank_2019_low  = 1 + #{other wards with pct_2019 < pct_2019(W) - u}
--   rank_2019_high = 1 + #{other wards with pct_2019 < pct_2019(W) + u}
-- exceeds_uncertainty: rank_2025 lies outside [rank_2019_low, rank_2019_high].
-- direction: 'more_deprived' when the 2025 decile is more deprived than any decile the ward
-- could have had in 2019 within that range, 'less_deprived' the reverse, else 'stayed'.
CREATE OR REPLACE TEMP MACRO _ntile10(k, n) AS
    CASE WHEN k <= (n % 10) * (n // 10 + 1) THEN (k - 1) // (n // 10 + 1) + 1
         ELSE (n % 10) + (k - (n % 10) * (n // 10 + 1) - 1) // (n // 10) + 1 END;

CREATE OR REPLACE TEMP VIEW _grp_ward_change AS
SELECT lsoa_code, ward_code AS group_code, w FROM lsoa_ward_weight;

CREATE OR REPLACE TEMP TABLE _wc AS
SELECT group_code AS ward_code, measure, pct_2019, pct_2025, uncertainty, share_remapped
FROM aggregate_change('_grp_ward_change');

CREATE OR REPLACE TEMP TABLE _wc_rank AS
SELECT *,
       CASE WHEN pct_2019 IS NOT NULL THEN row_number() OVER (
           PARTITION BY measure, pct_2019 IS NULL ORDER BY pct_2019, ward_code) END AS rank_2019,
       count(pct_2019) OVER (PARTITION BY measure) AS n_2019,
       CASE WHEN pct_2025 IS NOT NULL THEN row_number() OVER (
           PARTITION BY measure, pct_2025 IS NULL ORDER BY pct_2025, ward_code) END AS rank_2025,
       count(pct_2025) OVER (PARTITION BY measure) AS n_2025
FROM _wc;

-- the ranks the 2019 position would take at pct_2019 -/+ u: probes counted against the wards
-- in one ordered pass (a probe sorts before a ward of the same value, so the count is strict)
CREATE OR REPLACE TEMP TABLE _wc_band AS
WITH probe AS (
    SELECT measure, ward_code, pct_2019 - uncertainty AS v, 0 AS is_ward, 'low' AS side
    FROM _wc_rank WHERE uncertainty > 0 AND pct_2019 IS NOT NULL
    UNION ALL
    SELECT measure, ward_code, pct_2019 + uncertainty, 0, 'high'
    FROM _wc_rank WHERE uncertainty > 0 AND pct_2019 IS NOT NULL
    UNION ALL
    SELECT measure, ward_code, pct_2019, 1, NULL FROM _wc_rank WHERE pct_2019 IS NOT NULL
), counted AS (
    SELECT *, sum(is_ward) OVER (PARTITION BY measure ORDER BY v, is_ward
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS below
    FROM probe
)
SELECT measure, ward_code,
       max(CASE WHEN side = 'low' THEN 1 + below END) AS rank_low,
       -- the ward itself is below pct_2019 + u: 1 + (below - 1)
       max(CASE WHEN side = 'high' THEN below END) AS rank_high
FROM counted
WHERE is_ward = 0
GROUP BY ALL;

CREATE OR REPLACE TABLE ward_change AS
WITH m AS (SELECT unnest($measures) AS measure, generate_subscripts($measures, 1) AS pos),
r AS (
    SELECT r.*,
           least(coalesce(b.rank_low, r.rank_2019), r.rank_2019) AS rank_2019_low,
           greatest(coalesce(b.rank_high, r.rank_2019), r.rank_2019) AS rank_2019_high
    FROM _wc_rank r LEFT JOIN _wc_band b USING (measure, ward_code)
), d AS (
    SELECT *,
           _ntile10(rank_2019, n_2019) AS decile_2019,
           _ntile10(rank_2025, n_2025) AS decile_2025,
           _ntile10(rank_2019_low, n_2019) AS decile_low,
           _ntile10(rank_2019_high, n_2019) AS decile_high
    FROM r
)
SELECT e.ward_code, e.ward_name, e.lad_code, e.lad_name, m.measure,
       d.pct_2019, d.rank_2019::INTEGER AS rank_2019, d.decile_2019::INTEGER AS decile_2019,
       d.pct_2025, d.rank_2025::INTEGER AS rank_2025, d.decile_2025::INTEGER AS decile_2025,
       (d.rank_2019 - d.rank_2025)::INTEGER AS rank_change,
       (d.decile_2019 - d.decile_2025)::INTEGER AS decile_change,
       d.uncertainty,
       d.rank_2019_low::INTEGER AS rank_2019_low, d.rank_2019_high::INTEGER AS rank_2019_high,
       CASE WHEN d.rank_2019 IS NOT NULL AND d.rank_2025 IS NOT NULL
            THEN d.rank_2025 < d.rank_2019_low OR d.rank_2025 > d.rank_2019_high END
           AS exceeds_uncertainty,
       CASE WHEN d.rank_2019 IS NULL OR d.rank_2025 IS NULL THEN NULL
            WHEN d.decile_2025 < d.decile_low THEN 'more_deprived'
            WHEN d.decile_2025 > d.decile_high THEN 'less_deprived'
            ELSE 'stayed' END AS direction,
       d.share_remapped,
       d.n_2019::INTEGER AS n_wards
FROM ward_indicators_england e
CROSS JOIN m
LEFT JOIN d ON d.ward_code = e.ward_code AND d.measure = m.measure
ORDER BY e.ward_code, m.pos;
