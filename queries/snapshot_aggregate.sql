-- Locality figures aggregated from LSOAs (issue 6), by the store's own
-- aggregate_indicators(groups) table macro (queries/aggregate_indicators.sql): the
-- very formulas that give ward_indicators, lad_indicators and england_indicators.
-- The caller registers snapshot_group(group_id, ward_code): a locality's wards, every
-- ward of an LA, or every ward in England; each ward brings its LSOAs with their weights
-- (lsoa_ward_share: an LSOA shared by area between two wards of the group counts with the
-- sum of its two weights, and its whole-number residents add up exactly).
-- Added here, for the confidence intervals: the denominators each rate is built on
-- (children 0-15 with a child poverty value; residents with an income rate) and the
-- income-deprived count income_rate x that denominator.
CREATE OR REPLACE TEMP VIEW snapshot_lsoa_group AS
SELECT k.lsoa_code, g.group_id AS group_code, sum(k.w) AS w,
       sum(k.population) AS population, sum(k.children_0_15) AS children_0_15,
       sum(k.under5) AS under5
FROM snapshot_group AS g
JOIN lsoa_ward_share AS k ON k.ward_code = g.ward_code
GROUP BY ALL;

SELECT a.group_code AS group_id,
       a.* EXCLUDE (group_code),
       d.n_ward,
       a.child_poverty_children AS child_poverty_num,
       d.child_poverty_den,
       a.income_rate * d.income_den AS income_num,
       d.income_den
FROM aggregate_indicators('snapshot_lsoa_group') AS a
JOIN (
    SELECT g.group_code,
           (SELECT count(DISTINCT s.ward_code) FROM snapshot_group s
            WHERE s.group_id = g.group_code) AS n_ward,
           sum(g.w * i.children_0_15) FILTER (WHERE i.child_poverty_children IS NOT NULL) AS child_poverty_den,
           sum(g.w * i.population) FILTER (WHERE i.income_rate IS NOT NULL) AS income_den
    FROM snapshot_lsoa_group AS g
    JOIN lsoa_indicators AS i USING (lsoa_code)
    GROUP BY g.group_code
) AS d USING (group_code)
ORDER BY group_id
