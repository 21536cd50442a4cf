-- The LAs the wards $w lie in, largest population first: (code, name, population).
-- Every English ward is in ward_indicators_england, including those the best-fit lookup gives
-- no LSOA (issue 14).
SELECT lad_code, lad_name, sum(coalesce(population, 0)) AS pop
FROM ward_indicators_england
WHERE ward_code IN (SELECT unnest($w))
GROUP BY ALL
ORDER BY pop DESC, lad_code;
