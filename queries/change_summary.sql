-- ward_change figures for the build summary: wards with IoD2019 figures, and the wards whose
-- IMD position moved beyond the remapping uncertainty, each way.
SELECT count(DISTINCT ward_code) FILTER (WHERE rank_2019 IS NOT NULL) AS wards,
       count(*) FILTER (WHERE measure = 'imd' AND direction = 'more_deprived') AS imd_more,
       count(*) FILTER (WHERE measure = 'imd' AND direction = 'less_deprived') AS imd_less
FROM ward_change;
