-- Rank every indicator across wards (ascending: rank n = most adverse; average ranks
-- for ties) and form the three components the methods combine:
--   r   rank
--   ns  normal score  Φ⁻¹(r / (n + 1))                     (ace_ndtri: scipy.special.ndtri)
--   ex  exponential   −23 · ln(1 − (r / n) · (1 − e^(−100/23)))
-- $scope = 'england' ranks across all English wards; 'lad' re-ranks within each LAD.
CREATE OR REPLACE TEMP TABLE ace_ranked AS
WITH g AS (
    SELECT i.ward_code, i.indicator, i.value,
           CASE WHEN $scope = 'lad' THEN w.lad_code ELSE 'E92000001' END AS grp
    FROM ace_input AS i
    JOIN ace_ward AS w USING (ward_code)
), r AS (
    SELECT ward_code, indicator, grp, value,
           rank() OVER (PARTITION BY grp, indicator ORDER BY value)
           + (count(*) OVER (PARTITION BY grp, indicator, value) - 1) / 2.0 AS r,
           count(*) OVER (PARTITION BY grp, indicator) AS n
    FROM g
)
SELECT ward_code, indicator, grp, value, r, n,
       ace_ndtri(r / (n + 1)) AS ns,
       -23.0 * ln(1.0 - (r / n) * (1.0 - exp(-100.0 / 23.0))) AS ex
FROM r;
