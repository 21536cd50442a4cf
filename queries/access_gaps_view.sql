-- ward_gaps: access_gaps.sql for every service type and need measure at once, with the
-- default thresholds (top two need deciles; furthest fifth of in-coverage English wards).
-- needsmap.access.gaps() runs access_gaps.sql with bound parameters for other choices;
-- tests check the two agree at the defaults. The ward's LSOA fit figures (ward_indicators_england)
-- travel with it into the Target list and its exports.
CREATE OR REPLACE VIEW ward_gaps AS
WITH acc AS (
    SELECT wa.*,
           percent_rank() OVER (PARTITION BY service_type, measure
                                ORDER BY mean_km_child_weighted) AS access_percentile
    FROM ward_access wa
    WHERE wa.in_coverage AND wa.mean_km_child_weighted IS NOT NULL
),
j AS (
    SELECT a.ward_code, a.ward_name, a.lad_code, a.lad_name, a.service_type, a.measure,
           n.need_measure, n.need_value, n.need_decile, n.need_rank,
           a.children_0_15, a.mean_km_child_weighted, a.share_children_within_1km,
           a.share_children_within_2km, a.n_services, a.services_per_1000_children,
           a.access_percentile,
           n.need_decile <= 2 AS high_need,
           (n.need_decile <= 2 AND a.access_percentile >= 0.8) AS gap_flag,
           e.fit_share_of_ward, e.fit_spill, e.fit_poor
    FROM acc a
    JOIN ward_need n ON n.ward_code = a.ward_code
    JOIN ward_indicators_england e ON e.ward_code = a.ward_code
)
SELECT *,
       CASE WHEN high_need THEN row_number() OVER (
            PARTITION BY service_type, measure, need_measure, high_need
            ORDER BY mean_km_child_weighted DESC, need_rank, ward_code) END AS commissioning_rank
FROM j;
