-- The LAs the wards $w lie in, largest population first: (code, name, population).
SELECT l.lad_code, l.lad_name, sum(i.population) AS pop
FROM lsoa l JOIN lsoa_indicators i USING (lsoa_code)
WHERE l.ward_code IN (SELECT unnest($w))
GROUP BY ALL
ORDER BY pop DESC;
