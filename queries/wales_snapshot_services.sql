-- Welsh LA snapshot (issue 21): services located in the LA's Welsh LSOAs, by type. $lad.
SELECT type, count(*) AS n FROM service WHERE lad_code = $lad GROUP BY type ORDER BY type;
