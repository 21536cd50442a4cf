-- Welsh LA snapshot (issue 21): the LA's Welsh wards with their Welsh index (ranked among Welsh
-- wards only), figures and recorded crime. $lad: a Welsh LAD24 code.
SELECT a.ward_code, a.ward_name, a.welsh_ace_score, a.welsh_ace_rank, a.welsh_ace_decile,
       a.welsh_ace_rank_in_lad, a.abuse_neglect_decile, a.household_dysfunction_decile,
       a.context_decile, a.n_domains,
       i.population, i.children_0_15, i.under5, i.cilif_children, i.cilif_rate,
       i.value_method, i.fit_share_of_ward, i.fit_spill, i.fit_poor,
       c.full_coverage, c.crimes_12m, c.rate_12m_per_1000,
       (SELECT count(*) FROM ward_ace_wales) AS n_welsh_wards
FROM ward_ace_wales a
JOIN ward_indicators_wales i USING (ward_code)
LEFT JOIN ward_crime c USING (ward_code)
WHERE a.lad_code = $lad
ORDER BY a.welsh_ace_rank, a.ward_code;
