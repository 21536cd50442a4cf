-- ACE index position of an area (issue 6), from ward_ace (issue 3).
-- $scope: 'area' (the wards in $wards), 'la' (every ward of $lad) or 'england'.
-- $basis: 'children' (aged 0-15, as lad_ace: the index concerns childhood adversity) or
-- 'under5' (the early-years lens: needsmap.access.early_years.BASES).
-- Returns: children (or under-5s) in wards of England's ACE deciles 1-2, all of them, and the
-- England ward decile in which the area's children- (or under-5-) weighted ACE score would
-- sit (residents where the count is missing). The score's direction is read from its
-- relation to ace_rank_england (rank 1 = highest modelled risk), so either orientation works.
WITH w AS (
    SELECT a.ward_code, e.lad_code, a.ace_decile_england, a.ace_score,
           e.population,
           CASE $basis WHEN 'under5' THEN e.under5 ELSE e.children_0_15 END AS children_0_15
    FROM ward_ace AS a
    JOIN ward_indicators_england AS e USING (ward_code)
),
dir AS (
    SELECT CASE WHEN corr(ace_score, ace_rank_england) < 0 THEN 1.0 ELSE -1.0 END AS s,
           count(*) AS n
    FROM ward_ace
),
sel AS (
    SELECT * FROM w
    WHERE CASE $scope
        WHEN 'area' THEN ward_code IN (SELECT unnest($wards))
        WHEN 'la' THEN lad_code = $lad
        ELSE true END
),
area AS (
    SELECT sum(children_0_15) FILTER (WHERE ace_decile_england <= 2) AS children_top20,
           sum(children_0_15) AS children,
           sum(ace_score * coalesce(children_0_15, population))
               / nullif(sum(coalesce(children_0_15, population)), 0) AS score
    FROM sel
)
SELECT coalesce(area.children_top20, 0) AS children_top20,
       area.children,
       least(10, 1 + floor(10.0 * (SELECT count(*) FROM ward_ace AS x
                                  WHERE dir.s * x.ace_score > dir.s * area.score) / dir.n))
           AS england_ward_decile
FROM area, dir
