-- The three domains of the ACE index (issue 16) for an area, from ward_ace.
-- $scope: 'area' (the wards in $wards), 'la' (every ward of $lad) or 'england'.
-- One row per domain (in DOMAINS order, needsmap.index.domains):
--   score   Σ c_i D_id / Σ c_i over the area's wards with the domain, c_i = children aged
--           0-15 (residents where missing): the weighting of lad_ace; under-5s with
--           $basis = 'under5' (the early-years lens)
--   decile  the England ward decile in which that score would sit (1 = highest modelled
--           risk): 1 + floor(10 · #{English wards with a higher D} / #{wards with D}), at most 10
WITH long AS (
    SELECT a.ward_code, e.lad_code,
           coalesce(CASE $basis WHEN 'under5' THEN e.under5 ELSE e.children_0_15 END,
                    e.population) AS wt, d.domain,
           d.pos, d.score
    FROM ward_ace AS a
    JOIN ward_indicators_england AS e USING (ward_code),
    LATERAL (VALUES ('abuse_neglect', 1, a.abuse_neglect_score),
                    ('household_dysfunction', 2, a.household_dysfunction_score),
                    ('context', 3, a.context_score)) AS d(domain, pos, score)
),
sel AS (
    SELECT * FROM long
    WHERE score IS NOT NULL AND CASE $scope
        WHEN 'area' THEN ward_code IN (SELECT unnest($wards))
        WHEN 'la' THEN lad_code = $lad
        ELSE true END
),
area AS (
    SELECT domain, any_value(pos) AS pos,
           sum(wt * score) / nullif(sum(wt), 0) AS score
    FROM sel GROUP BY domain
)
SELECT area.domain, area.score,
       least(10, 1 + floor(10.0 * (SELECT count(*) FROM long AS x
                                  WHERE x.domain = area.domain AND x.score > area.score)
                          / (SELECT count(*) FROM long AS x
                             WHERE x.domain = area.domain AND x.score IS NOT NULL)))::INTEGER
           AS decile
FROM area
ORDER BY area.pos
