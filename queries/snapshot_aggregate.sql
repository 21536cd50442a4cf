-- Locality figures aggregated from LSOAs (issue 6), by the store's own
-- aggregate_indicators(groups) table macro (queries/aggregate_indicators.sql): the
-- very formulas that give ward_indicators, lad_indicators and england_indicators.
-- The caller registers snapshot_group(group_id, ward_code): a locality's wards, every
-- ward of an LA, or every ward in England; each ward brings its LSOAs (best-fit lookup).
-- Added here, for the confidence intervals: the denominators each rate is built on
-- (children 0-15 with a child poverty value; residents with an income rate) and the
-- income-deprived count income_rate x that denominator.
CREATE OR REPLACE TEMP VIEW snapshot_lsoa_group AS
SELECT i.lsoa_code, g.group_id AS group_code
FROM snapshot_group AS g
JOIN lsoa_indicators AS i ON i.ward_code = g.ward_code;

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
           count(DISTINCT i.ward_code) AS n_ward,
           sum(i.children_0_15) FILTER (WHERE i.child_poverty_children IS NOT NULL) AS child_poverty_den,
           sum(i.population) FILTER (WHERE i.income_rate IS NOT NULL) AS income_den
    FROM snapshot_lsoa_group AS g
    JOIN lsoa_indicators AS i USING (lsoa_code)
    GROUP BY g.group_code
) AS d USING (group_code)
ORDER BY group_id
