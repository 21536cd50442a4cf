-- LA level of the ACE index, always from national ward scores (ace_scored, scope england).
-- ace_score = Σ c_i s_i / Σ c_i over the LAD's wards, c_i = children aged 0-15 (the index
-- models childhood adversity; residents where the child count is missing), then ranked
-- across LADs (1 = highest modelled risk) and cut into LAD deciles (on position, ties
-- broken by LAD code).
-- children_share_top_decile = share of the LAD's children living in wards in national decile 1.
CREATE OR REPLACE TEMP TABLE ace_lad_new AS
WITH w AS (
    SELECT *, coalesce(children_0_15, population) AS wt
    FROM ace_scored
    WHERE ace_score IS NOT NULL
), a AS (
    SELECT lad_code, any_value(lad_name) AS lad_name, count(*) AS n_wards,
           sum(population) AS population, sum(children_0_15) AS children_0_15,
           sum(wt * ace_score) / nullif(sum(wt), 0) AS ace_score,
           sum(CASE WHEN ace_decile_england = 1 THEN wt ELSE 0 END) / nullif(sum(wt), 0)
               AS children_share_top_decile
    FROM w
    GROUP BY lad_code
), r AS (
    SELECT lad_code, rank() OVER (ORDER BY ace_score DESC) AS ace_rank_england,
           row_number() OVER (ORDER BY ace_score DESC, lad_code) AS pos,
           count(*) OVER () AS n
    FROM a
    WHERE ace_score IS NOT NULL
)
SELECT a.lad_code, a.lad_name, a.n_wards, a.population, a.children_0_15, a.ace_score,
       r.ace_rank_england, (r.pos - 1) * 10 // r.n + 1 AS ace_decile_england,
       a.children_share_top_decile
FROM a
LEFT JOIN r USING (lad_code)
ORDER BY r.ace_rank_england NULLS LAST, a.lad_code;
