-- Write the ACE index tables into the store (run inside one transaction).
-- Inputs (registered by needsmap.index.tables.write_tables):
--   _ward_ace_df   the engine's scores for every English ward, with stability bands, in the
--                  columns of ward_ace (needsmap.index.engine.SCORE_COLUMNS + STABILITY_COLUMNS)
--   _national_df   the national scores (scope england), from which lad_ace is made
-- $method: the method's registry key.
CREATE OR REPLACE TABLE ward_ace AS
SELECT * REPLACE (
       population::DOUBLE AS population, children_0_15::DOUBLE AS children_0_15,
       ace_rank_england::BIGINT AS ace_rank_england,
       ace_decile_england::BIGINT AS ace_decile_england,
       ace_rank_in_lad::BIGINT AS ace_rank_in_lad,
       ace_quintile_in_lad::BIGINT AS ace_quintile_in_lad,
       n_indicators::INTEGER AS n_indicators,
       abuse_neglect_rank::BIGINT AS abuse_neglect_rank,
       abuse_neglect_decile::BIGINT AS abuse_neglect_decile,
       n_abuse_neglect_indicators::INTEGER AS n_abuse_neglect_indicators,
       household_dysfunction_rank::BIGINT AS household_dysfunction_rank,
       household_dysfunction_decile::BIGINT AS household_dysfunction_decile,
       n_household_dysfunction_indicators::INTEGER AS n_household_dysfunction_indicators,
       context_rank::BIGINT AS context_rank, context_decile::BIGINT AS context_decile,
       n_context_indicators::INTEGER AS n_context_indicators,
       n_domains::INTEGER AS n_domains,
       stab_rank_p05::BIGINT AS stab_rank_p05, stab_rank_p95::BIGINT AS stab_rank_p95,
       stab_dropone_rank_min::BIGINT AS stab_dropone_rank_min,
       stab_dropone_rank_max::BIGINT AS stab_dropone_rank_max,
       stab_dropdomain_rank_min::BIGINT AS stab_dropdomain_rank_min,
       stab_dropdomain_rank_max::BIGINT AS stab_dropdomain_rank_max,
       unstable::BOOLEAN AS unstable)
FROM _ward_ace_df
ORDER BY ward_code;

-- LA level, always from the national ward scores.
-- ace_score = Σ c_i s_i / Σ c_i over the LAD's wards, c_i = children aged 0-15 (the index
-- models childhood adversity; residents where the child count is missing), then ranked
-- across LADs (1 = highest modelled risk) and cut into LAD deciles (on position, ties
-- broken by LAD code).
-- <domain>_score = Σ c_i D_id / Σ c_i over the wards with the domain (the same weights),
-- <domain>_rank its rank across LADs (1 = highest modelled risk in that domain).
-- children_share_top_decile = share of the LAD's children living in wards in national decile 1.
CREATE OR REPLACE TABLE lad_ace AS
WITH w AS (
    SELECT *, coalesce(children_0_15, population) AS wt
    FROM _national_df
    WHERE ace_score IS NOT NULL
), a AS (
    SELECT lad_code, any_value(lad_name) AS lad_name, count(*) AS n_wards,
           sum(population) AS population, sum(children_0_15) AS children_0_15,
           sum(wt * ace_score) / nullif(sum(wt), 0) AS ace_score,
           sum(CASE WHEN ace_decile_england = 1 THEN wt ELSE 0 END) / nullif(sum(wt), 0)
               AS children_share_top_decile,
           sum(wt * abuse_neglect_score)
               / nullif(sum(wt) FILTER (WHERE abuse_neglect_score IS NOT NULL), 0)
               AS abuse_neglect_score,
           sum(wt * household_dysfunction_score)
               / nullif(sum(wt) FILTER (WHERE household_dysfunction_score IS NOT NULL), 0)
               AS household_dysfunction_score,
           sum(wt * context_score)
               / nullif(sum(wt) FILTER (WHERE context_score IS NOT NULL), 0) AS context_score
    FROM w
    GROUP BY lad_code
), r AS (
    SELECT lad_code, rank() OVER (ORDER BY ace_score DESC) AS ace_rank_england,
           row_number() OVER (ORDER BY ace_score DESC, lad_code) AS pos,
           count(*) OVER () AS n
    FROM a
    WHERE ace_score IS NOT NULL
), d AS (
    SELECT lad_code,
           CASE WHEN abuse_neglect_score IS NOT NULL
                THEN rank() OVER (ORDER BY abuse_neglect_score DESC NULLS LAST) END
               AS abuse_neglect_rank,
           CASE WHEN household_dysfunction_score IS NOT NULL
                THEN rank() OVER (ORDER BY household_dysfunction_score DESC NULLS LAST) END
               AS household_dysfunction_rank,
           CASE WHEN context_score IS NOT NULL
                THEN rank() OVER (ORDER BY context_score DESC NULLS LAST) END AS context_rank
    FROM a
)
SELECT $method AS method, a.lad_code, a.lad_name, a.n_wards, a.population::DOUBLE AS population,
       a.children_0_15::DOUBLE AS children_0_15, a.ace_score, r.ace_rank_england,
       (r.pos - 1) * 10 // r.n + 1 AS ace_decile_england, a.children_share_top_decile,
       a.abuse_neglect_score, d.abuse_neglect_rank,
       a.household_dysfunction_score, d.household_dysfunction_rank,
       a.context_score, d.context_rank
FROM a
LEFT JOIN r USING (lad_code)
LEFT JOIN d USING (lad_code)
ORDER BY r.ace_rank_england NULLS LAST, a.lad_code;

CREATE OR REPLACE TABLE ace_config (key VARCHAR PRIMARY KEY, value VARCHAR);
