-- The areas stage's figures for the build summary.
SELECT (SELECT count(*) FROM lsoa) AS lsoas,
       (SELECT count(*) FROM ward_indicators_england) AS wards_england,
       (SELECT count(*) FROM ward_indicators) AS wards_in_scope,
       (SELECT count(*) FROM scope_lad) AS lads,
       (SELECT sum(population) FROM ward_indicators) AS population,
       (SELECT count(*) FILTER (WHERE fit_poor) FROM ward_indicators_england) AS wards_poor_fit,
       (SELECT string_agg(value_method || ' ' || n, ', ' ORDER BY value_method)
        FROM (SELECT value_method, count(*) AS n FROM ward_indicators_england GROUP BY ALL))
           AS wards_by_value_method;
