-- Write the ACE index tables into the store. Run inside one transaction.
-- Needs ace_scored (ward scores), ace_stability (rank-stability bands) and ace_lad_new.
CREATE OR REPLACE TABLE ward_ace AS
SELECT s.ward_code, s.ward_name, s.lad_code, s.lad_name, s.population, s.children_0_15,
       $method AS method, $scope AS scope,
       s.ace_score, s.ace_rank_england, s.ace_decile_england,
       s.ace_rank_in_lad, s.ace_quintile_in_lad, s.n_indicators,
       s.ns_child_poverty, s.ns_income, s.ns_crime, s.ns_density, s.ns_health,
       s.ns_recorded_crime,
       CASE WHEN $crime_weighted THEN s.recorded_crime_source ELSE 'iod_crime_score' END
           AS crime_source,
       t.stab_rank_p05, t.stab_rank_p95, t.stab_share_same_class,
       t.stab_dropone_rank_min, t.stab_dropone_rank_max, t.stab_dropone_share_same_class,
       t.stability_band, t.unstable
FROM ace_scored AS s
LEFT JOIN ace_stability AS t USING (ward_code)
ORDER BY s.ward_code;

CREATE OR REPLACE TABLE lad_ace AS
SELECT $method AS method, * FROM ace_lad_new;
