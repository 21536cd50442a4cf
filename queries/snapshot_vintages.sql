-- The data vintages behind an LA's figures.
SELECT vintage_iod, vintage_census, vintage_lookup, vintage_cilif
FROM lad_indicators
WHERE lad_code = $lad;
