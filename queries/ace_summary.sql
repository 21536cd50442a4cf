-- The index tables' figures for the build summary.
SELECT (SELECT count(*) FROM ward_ace) AS wards,
       (SELECT count(*) FILTER (WHERE unstable) FROM ward_ace) AS unstable_wards,
       (SELECT count(*) FROM lad_ace) AS lads;
