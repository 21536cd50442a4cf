-- Combine the per-indicator components into a ward score and rank it.
-- $component: 'rank' (lewer), 'normal' (weighted) or 'exponential' (exponential).
-- $w_<indicator>: normalised weights (sum 1; 0 = indicator not used), bound as parameters.
-- score = Σ w_k c_k / Σ w_k over the indicators the ward has, summed in registry order
-- (the numpy fast path sums in the same order, so both give identical scores).
-- Ranks: 1 = highest modelled risk; ties share the best rank (RANK()).
-- Classes are cut on position p (ROW_NUMBER(), ties broken by ward code), so each holds
-- n/10 (n/5) wards ± 1: decile (national scope) = (p − 1)·10 // n + 1, 1 = highest 10%;
-- LA quintile = (p − 1)·5 // n_lad + 1.
CREATE OR REPLACE TEMP TABLE ace_scored AS
WITH c AS (
    SELECT ward_code,
           max(CASE WHEN indicator = 'child_poverty' THEN comp END) AS c_child_poverty,
           max(CASE WHEN indicator = 'income' THEN comp END) AS c_income,
           max(CASE WHEN indicator = 'crime' THEN comp END) AS c_crime,
           max(CASE WHEN indicator = 'density' THEN comp END) AS c_density,
           max(CASE WHEN indicator = 'health' THEN comp END) AS c_health,
           max(CASE WHEN indicator = 'recorded_crime' THEN comp END) AS c_recorded_crime,
           max(CASE WHEN indicator = 'child_poverty' THEN ns END) AS ns_child_poverty,
           max(CASE WHEN indicator = 'income' THEN ns END) AS ns_income,
           max(CASE WHEN indicator = 'crime' THEN ns END) AS ns_crime,
           max(CASE WHEN indicator = 'density' THEN ns END) AS ns_density,
           max(CASE WHEN indicator = 'health' THEN ns END) AS ns_health,
           max(CASE WHEN indicator = 'recorded_crime' THEN ns END) AS ns_recorded_crime
    FROM (
        SELECT ward_code, indicator, ns,
               CASE $component WHEN 'rank' THEN r WHEN 'normal' THEN ns
                               WHEN 'exponential' THEN ex END AS comp
        FROM ace_ranked
    )
    GROUP BY ward_code
), s AS (
    SELECT w.ward_code, w.ward_name, w.lad_code, w.lad_name, w.population, w.children_0_15,
           CASE WHEN $scope = 'lad' THEN w.lad_code ELSE 'E92000001' END AS grp,
           coalesce($w_child_poverty * c.c_child_poverty, 0.0)
           + coalesce($w_income * c.c_income, 0.0)
           + coalesce($w_crime * c.c_crime, 0.0)
           + coalesce($w_density * c.c_density, 0.0)
           + coalesce($w_health * c.c_health, 0.0)
           + coalesce($w_recorded_crime * c.c_recorded_crime, 0.0) AS num,
           CASE WHEN c.c_child_poverty IS NULL THEN 0.0 ELSE $w_child_poverty END
           + CASE WHEN c.c_income IS NULL THEN 0.0 ELSE $w_income END
           + CASE WHEN c.c_crime IS NULL THEN 0.0 ELSE $w_crime END
           + CASE WHEN c.c_density IS NULL THEN 0.0 ELSE $w_density END
           + CASE WHEN c.c_health IS NULL THEN 0.0 ELSE $w_health END
           + CASE WHEN c.c_recorded_crime IS NULL THEN 0.0 ELSE $w_recorded_crime END AS wsum,
           (c.c_child_poverty IS NOT NULL AND $w_child_poverty > 0)::INTEGER
           + (c.c_income IS NOT NULL AND $w_income > 0)::INTEGER
           + (c.c_crime IS NOT NULL AND $w_crime > 0)::INTEGER
           + (c.c_density IS NOT NULL AND $w_density > 0)::INTEGER
           + (c.c_health IS NOT NULL AND $w_health > 0)::INTEGER
           + (c.c_recorded_crime IS NOT NULL AND $w_recorded_crime > 0)::INTEGER AS n_indicators,
           c.ns_child_poverty, c.ns_income, c.ns_crime, c.ns_density, c.ns_health,
           c.ns_recorded_crime, w.recorded_crime_source
    FROM ace_ward AS w
    LEFT JOIN c USING (ward_code)
), scored AS (
    SELECT * EXCLUDE (num, wsum), CASE WHEN wsum > 0 THEN num / wsum END AS ace_score
    FROM s
), rk AS (
    SELECT ward_code,
           rank() OVER (PARTITION BY grp ORDER BY ace_score DESC) AS rank_scope,
           row_number() OVER (PARTITION BY grp ORDER BY ace_score DESC, ward_code) AS pos_scope,
           count(*) OVER (PARTITION BY grp) AS n_scope,
           rank() OVER (PARTITION BY lad_code ORDER BY ace_score DESC) AS rank_lad,
           row_number() OVER (PARTITION BY lad_code ORDER BY ace_score DESC, ward_code)
               AS pos_lad,
           count(*) OVER (PARTITION BY lad_code) AS n_lad
    FROM scored
    WHERE ace_score IS NOT NULL
)
SELECT s.ward_code, s.ward_name, s.lad_code, s.lad_name, s.population, s.children_0_15,
       s.ace_score,
       CASE WHEN $scope = 'england' THEN rk.rank_scope END AS ace_rank_england,
       CASE WHEN $scope = 'england' THEN (rk.pos_scope - 1) * 10 // rk.n_scope + 1 END
           AS ace_decile_england,
       rk.rank_lad AS ace_rank_in_lad,
       (rk.pos_lad - 1) * 5 // rk.n_lad + 1 AS ace_quintile_in_lad,
       s.n_indicators,
       s.ns_child_poverty, s.ns_income, s.ns_crime, s.ns_density, s.ns_health,
       s.ns_recorded_crime, s.recorded_crime_source
FROM scored AS s
LEFT JOIN rk USING (ward_code)
ORDER BY s.ward_code;
