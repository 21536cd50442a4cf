-- Wales (issue 21; docs/method.md, "Wales"): Welsh LSOA indicators. Inputs: _lsoa_wales
-- (registered: lsoa_code, area_km2, wkb), lookup_lsoa21_wd24_wales, census_lsoa,
-- _under5_l21, _cilif_l21 (the areas stage's temp tables, which keep Welsh rows), wimd_lsoa11,
-- sape20 and lsoa11_lsoa21_weight with its macros (needsmap.areas.lsoa11).
-- WIMD scores are values of an area: lsoa11_means with w_population, p(l) = mid-2020 residents:
--     x(t) = sum_l w_population(l, t) * p(l) * x(l) / sum_l w_population(l, t) * p(l)
CREATE OR REPLACE TEMP TABLE _wimd_long AS
UNPIVOT wimd_lsoa11
ON wimd_score, income_score, employment_score, health_score, education_score,
   access_to_services_score, housing_score, community_safety_score, physical_environment_score
INTO NAME measure VALUE value;

CREATE OR REPLACE TEMP VIEW _wimd_src AS
SELECT w.lsoa11_code, w.measure, w.value, s.all_ages AS weight, 'population' AS basis
FROM _wimd_long w JOIN sape20 s USING (lsoa11_code);

CREATE OR REPLACE TEMP TABLE _wimd_l21 AS
SELECT lsoa_code,
       max(value) FILTER (WHERE measure = 'wimd_score') AS wimd_score,
       max(value) FILTER (WHERE measure = 'income_score') AS income_score,
       max(value) FILTER (WHERE measure = 'employment_score') AS employment_score,
       max(value) FILTER (WHERE measure = 'health_score') AS health_score,
       max(value) FILTER (WHERE measure = 'education_score') AS education_score,
       max(value) FILTER (WHERE measure = 'access_to_services_score') AS access_to_services_score,
       max(value) FILTER (WHERE measure = 'housing_score') AS housing_score,
       max(value) FILTER (WHERE measure = 'community_safety_score') AS community_safety_score,
       max(value) FILTER (WHERE measure = 'physical_environment_score') AS physical_environment_score,
       max(n_lsoa11)::INTEGER AS n_lsoa11
FROM lsoa11_means('_wimd_src')
GROUP BY lsoa_code;

CREATE OR REPLACE TABLE lsoa_indicators_wales AS
SELECT k.lsoa_code, k.lsoa_name, k.ward_code, k.ward_name, k.lad_code, k.lad_name,
       'Wales' AS nation,
       c.population, c.children_0_15, coalesce(u.under5, 0)::BIGINT AS under5,
       g.area_km2, c.population / nullif(g.area_km2, 0) AS density_per_km2,
       coalesce(cl.cilif_children, 0) AS cilif_children,
       w.wimd_score, w.income_score, w.employment_score, w.health_score, w.education_score,
       w.access_to_services_score, w.housing_score, w.community_safety_score,
       w.physical_environment_score, w.n_lsoa11
FROM lookup_lsoa21_wd24_wales k
JOIN _lsoa_wales g USING (lsoa_code)
JOIN census_lsoa c USING (lsoa_code)
LEFT JOIN _under5_l21 u USING (lsoa_code)
LEFT JOIN _cilif_l21 cl USING (lsoa_code)
LEFT JOIN _wimd_l21 w USING (lsoa_code)
ORDER BY k.lsoa_code;

-- Welsh LSOA polygons (the twin of lsoa): services, police.uk records and uploads are placed in
-- them by needsmap.areas.locate, beside the English ones. centroid_x/y is the LSOA's
-- representative point for distances to services, as for England (lsoa): a point on the
-- surface (shapely.point_on_surface, EPSG:27700, from needsmap.areas.wales), because
-- population-weighted centroids are not in the mirror.
CREATE OR REPLACE TABLE lsoa_wales AS
SELECT k.lsoa_code, k.lsoa_name, k.ward_code, k.ward_name, k.lad_code, k.lad_name, g.area_km2,
       g.centroid_x, g.centroid_y, 'point_on_surface' AS centroid_method,
       ST_GeomFromWKB(g.wkb) AS geom
FROM lookup_lsoa21_wd24_wales k JOIN _lsoa_wales g USING (lsoa_code)
ORDER BY k.lsoa_code;

SELECT count(*) FROM lsoa_indicators_wales;
