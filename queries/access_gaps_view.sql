-- ward_gaps: access_gaps.sql for every service type and need measure at once, with the
-- default rule ('local', needsmap.access.gaprules): high need = the top two national need
-- deciles; far = children's mean distance among the furthest quarter of the ward's own
-- LA's wards, or among the furthest fifth of English wards, whichever distance is shorter.
-- needsmap.access.gaps() runs access_gaps.sql with bound parameters for other rules and
-- thresholds; tests check the two agree at the defaults. children_beyond carries LSOA
-- children to wards by lsoa_ward_weight (as ward_access). The ward's LSOA fit figures
-- (ward_indicators_england) travel with it into the Target list and its exports.
CREATE OR REPLACE VIEW ward_gaps AS
WITH acc AS (
    SELECT wa.*,
           percent_rank() OVER (PARTITION BY service_type, measure
                                ORDER BY mean_km_child_weighted) AS access_percentile,
           percent_rank() OVER (PARTITION BY service_type, measure, lad_code
                                ORDER BY mean_km_child_weighted) AS la_percentile
    FROM ward_access wa
    WHERE wa.in_coverage AND wa.mean_km_child_weighted IS NOT NULL
),
nat AS (
    SELECT service_type, measure,
           min(mean_km_child_weighted) FILTER (WHERE access_percentile >= 0.8) AS national_km
    FROM acc GROUP BY ALL
),
lad AS (
    SELECT service_type, measure, lad_code,
           min(mean_km_child_weighted) FILTER (WHERE la_percentile >= 0.75) AS la_km
    FROM acc GROUP BY ALL
),
w AS (
    SELECT a.*, least(lad.la_km, nat.national_km) AS far_km
    FROM acc a
    JOIN nat USING (service_type, measure)
    JOIN lad USING (service_type, measure, lad_code)
),
beyond AS (
    SELECT w.ward_code, w.service_type, w.measure,
           sum(k.w * coalesce(i.children_0_15, 0) * (d.distance_km > w.far_km)::INTEGER)
               AS children_beyond
    FROM w
    JOIN lsoa_ward_weight k ON k.ward_code = w.ward_code
    JOIN lsoa_access d ON d.lsoa_code = k.lsoa_code AND d.service_type = w.service_type
                          AND d.measure = w.measure
    LEFT JOIN lsoa_indicators i ON i.lsoa_code = k.lsoa_code
    GROUP BY ALL
),
j AS (
    SELECT w.ward_code, w.ward_name, w.lad_code, w.lad_name, w.service_type, w.measure,
           n.need_measure, n.need_value, n.need_decile, n.need_rank,
           w.children_0_15, w.mean_km_child_weighted, w.share_children_within_1km,
           w.share_children_within_2km, w.n_services, w.services_per_1000_children,
           w.access_percentile, w.la_percentile, w.far_km,
           round(coalesce(b.children_beyond, 0))::BIGINT AS children_beyond,
           n.need_decile <= 2 AS high_need,
           (n.need_decile <= 2 AND w.mean_km_child_weighted >= w.far_km) AS gap_flag,
           'local' AS gap_rule,
           e.fit_share_of_ward, e.fit_spill, e.fit_poor
    FROM w
    JOIN ward_need n ON n.ward_code = w.ward_code
    JOIN ward_indicators_england e ON e.ward_code = w.ward_code
    LEFT JOIN beyond b ON b.ward_code = w.ward_code AND b.service_type = w.service_type
                          AND b.measure = w.measure
)
SELECT *,
       CASE WHEN high_need THEN row_number() OVER (
            PARTITION BY service_type, measure, need_measure, high_need
            ORDER BY gap_flag DESC, mean_km_child_weighted DESC, need_rank, ward_code) END
           AS commissioning_rank
FROM j;
