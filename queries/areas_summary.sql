-- The areas stage's figures for the build summary.
SELECT (SELECT count(*) FROM lsoa) AS lsoas,
       (SELECT count(*) FROM ward_indicators_england) AS wards_england,
       (SELECT count(*) FROM ward_indicators) AS wards_in_scope,
       (SELECT count(*) FROM scope_lad) AS lads,
       (SELECT sum(population) FROM ward_indicators) AS population;
