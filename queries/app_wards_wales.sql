-- Every Welsh ward for the app (issue 21): its figures (ward_indicators_wales), the Welsh
-- modelled ACE risk index ranked among Welsh wards only (ward_ace_wales) and its recorded
-- crime (ward_crime, wards with 12 full months only). No English figure is joined here:
-- the two nations are never put on one ranking. No parameters.
SELECT i.ward_code, i.ward_name, i.lad_code, i.lad_name, 'Wales' AS nation,
       i.population, i.children_0_15, i.under5, i.density_per_km2, i.cilif_rate,
       i.wimd_score, i.income_score, i.employment_score, i.health_score, i.education_score,
       i.access_to_services_score, i.housing_score, i.community_safety_score,
       i.physical_environment_score, i.fit_poor,
       a.welsh_ace_score, a.welsh_ace_rank, a.welsh_ace_decile, a.welsh_ace_rank_in_lad,
       a.ns_community_safety, a.ns_health, a.ns_housing, a.ns_child_poverty, a.ns_density,
       a.abuse_neglect_score, a.abuse_neglect_decile, a.household_dysfunction_score,
       a.household_dysfunction_decile, a.context_score, a.context_decile, a.n_domains,
       CASE WHEN c.full_coverage THEN c.rate_12m_per_1000 END AS rate_12m_per_1000
FROM ward_indicators_wales AS i
LEFT JOIN ward_ace_wales AS a USING (ward_code)
LEFT JOIN ward_crime AS c USING (ward_code)
ORDER BY i.ward_code
