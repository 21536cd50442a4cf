-- lsoa11_lsoa21_weight: how a figure of an LSOA 2011 is carried to the LSOAs 2021 it became
-- (needsmap.areas.lsoa11; docs/method.md, "From LSOA 2011 to LSOA 2021").
-- Inputs: lsoa11_lsoa21 (the ONS lookup: lsoa11_code, lsoa21_code, change U/S/M/X) and
-- census_lsoa (Census 2021 residents and children aged 15 and under of every LSOA 2021 in
-- scope; an LSOA 2021 without Census figures is not a target).
-- For an LSOA 2011 l and each LSOA 2021 t of its targets T(l):
--   w_population(l, t) = pop21(t)  / sum_{t' in T(l)} pop21(t')
--   w_children(l, t)   = kids21(t) / sum_{t' in T(l)} kids21(t')
-- (w_population where the targets have no children, 1/|T(l)| where they have no residents),
-- so every LSOA 2011's weights sum to 1 and a count carried with them keeps its total.
-- Unchanged (U) and merged (M) LSOAs 2011 have one target and w = 1; a split (S) one is
-- shared among its parts by their Census 2021 residents (or children); a complex (X) one
-- among its targets likewise (their whole Census counts: the lookup does not say how much
-- of a target came from which LSOA 2011).
CREATE OR REPLACE TABLE lsoa11_lsoa21_weight AS
WITH x AS (
    SELECT l.lsoa11_code, l.lsoa21_code, l.change,
           c.population::DOUBLE AS pop21, c.children_0_15::DOUBLE AS kids21,
           count(*) OVER (PARTITION BY l.lsoa11_code) AS n_targets,
           sum(c.population) OVER (PARTITION BY l.lsoa11_code) AS pop_sum,
           sum(c.children_0_15) OVER (PARTITION BY l.lsoa11_code) AS kids_sum
    FROM lsoa11_lsoa21 l
    JOIN census_lsoa c ON c.lsoa_code = l.lsoa21_code
)
SELECT lsoa11_code, lsoa21_code, change, n_targets::INTEGER AS n_targets,
       coalesce(pop21 / nullif(pop_sum, 0), 1.0 / n_targets) AS w_population,
       coalesce(kids21 / nullif(kids_sum, 0), pop21 / nullif(pop_sum, 0), 1.0 / n_targets)
           AS w_children
FROM x
ORDER BY lsoa11_code, lsoa21_code;

SELECT count(*) FROM lsoa11_lsoa21_weight;
