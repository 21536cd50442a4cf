-- Access gaps for commissioning: high-need wards whose children live far from a service.
-- needsmap.access.gaps() runs this with bound parameters; the rules are described in
-- needsmap.access.gaprules (the words shown beside every result).
--
-- Parameters (all bound):
--   $service_type, $measure      the service type and access measure (store types), or
--   $custom = true               an uploaded list: distances in the registered frames
--                                _gap_ward (ward_access columns) and _gap_lsoa
--                                (lsoa_code, distance_km); both are always registered
--   $need                        a ward_need.need_measure
--   $top_deciles                 need deciles counted as high need (1 = highest tenth)
--   $rule                        'local' | 'national' | 'distance' | 'children_beyond'
--   $la_share                    'local': the furthest share of the LA's own wards
--   $furthest_share              'local' and 'national': the furthest share of the nation's wards
--   $km                          'distance' and 'children_beyond': a distance in km
--   $min_share                   'children_beyond': share of a ward's children beyond $km
--   $lad_code                    one LA (ranks within it), or NULL for every ward
--   $access_table, $need_table,  the nation's tables (needsmap.access.nation_tables.NATIONS,
--   $lsoa_indicators, $wards     bound by name): ward_access, ward_need, lsoa_indicators,
--                                ward_indicators_england for England; ward_access_wales,
--                                ward_need_wales, lsoa_indicators_wales, ward_indicators_wales
--                                for Wales. Every percentile and threshold below is among the
--                                nation's wards only ("national" = England, or Wales), and no
--                                column ranks English and Welsh wards together.
--   $basis                       'children' (aged 0-15, ward_access) or 'under5' (the
--                                early-years lens, needsmap.access.early_years.BASES:
--                                ward_access_under5, and under-5s counted beyond far_km)
--   $group, $group_types         the early-years group (early_years.GROUP) and its types:
--                                with 'under5' its LSOA distance is the nearest of the types
--                                whose lists cover the LSOA (as in access_ward_under5.sql)
--
-- Column names are those of the children basis whatever $basis is (children_0_15,
-- mean_km_child_weighted, share_children_within_*, children_beyond, ...), so every reader
-- of the list works with both; with $basis = 'under5' they hold under-5s and distances
-- weighted by under-5s, and the column basis says so.
--
-- Per ward, among the nation's in-coverage wards with a distance (d = children's mean distance):
--   access_percentile = percent_rank of d among the nation's wards (1 = furthest); a local list
--                       (or an upload) covers only some LAs: then among the n_covered wards
--   la_percentile     = percent_rank of d among the wards of the ward's own LA
--   national_km       = the shortest d among the furthest $furthest_share of the nation's wards
--   la_km             = the shortest d among the furthest $la_share of the LA's wards
--   far_km            = the distance the rule calls far for this ward:
--                       local: least(la_km, national_km); national: national_km;
--                       distance and children_beyond: $km
--   children_beyond   = children (Census 2021, 0-15) in the ward's LSOAs whose nearest
--                       service is further than far_km, each LSOA's children times its
--                       weight in the ward (lsoa_ward_weight.w, as in ward_access);
--                       share_beyond = that / the ward's weighted children
--   flag_<rule>       = high need AND far by that rule (local, national, distance: d >=
--                       far_km; children_beyond: share of children beyond $km >= $min_share)
--   gap_flag          = flag of $rule
--   fit_share_of_ward, fit_spill, fit_poor: the ward's LSOA fit ($wards),
--                       carried into the Target list and its exports
--   commissioning_rank: among high-need wards (in the LA, if given), 1 = gap first, then
--                       the furthest children (d), ties broken by higher need.
WITH wa AS (
    SELECT ward_code, ward_name, lad_code, lad_name, children_0_15, mean_km_child_weighted,
           share_children_within_1km, share_children_within_2km, n_services,
           services_per_1000_children, in_coverage
    FROM query_table($access_table)
    WHERE NOT $custom AND $basis = 'children' AND service_type = $service_type
          AND measure = $measure
    UNION ALL
    SELECT ward_code, ward_name, lad_code, lad_name, under5, mean_km_under5_weighted,
           share_under5_within_1km, share_under5_within_2km, n_services,
           services_per_1000_under5, in_coverage
    FROM ward_access_under5
    WHERE NOT $custom AND $basis = 'under5' AND service_type = $service_type
          AND measure = $measure
    UNION ALL
    SELECT ward_code, ward_name, lad_code, lad_name, children_0_15, mean_km_child_weighted,
           share_children_within_1km, share_children_within_2km, n_services,
           services_per_1000_children, in_coverage
    FROM _gap_ward
    WHERE $custom
),
lsoa_d AS (
    SELECT lsoa_code, distance_km FROM lsoa_access
    WHERE NOT $custom AND service_type = $service_type AND measure = $measure
    UNION ALL
    SELECT lsoa_code, coalesce(min(distance_km) FILTER (WHERE in_coverage), min(distance_km))
    FROM lsoa_access
    WHERE NOT $custom AND $service_type = $group AND measure = $measure
          AND service_type IN (SELECT unnest($group_types))
    GROUP BY lsoa_code
    UNION ALL
    SELECT lsoa_code, distance_km FROM _gap_lsoa WHERE $custom
),
acc AS (
    SELECT *,
           percent_rank() OVER (ORDER BY mean_km_child_weighted) AS access_percentile,
           percent_rank() OVER (PARTITION BY lad_code ORDER BY mean_km_child_weighted)
               AS la_percentile,
           count(*) OVER () AS n_covered
    FROM wa
    WHERE in_coverage AND mean_km_child_weighted IS NOT NULL
),
nat AS (
    SELECT min(mean_km_child_weighted) FILTER (WHERE access_percentile >= 1 - $furthest_share)
               AS national_km
    FROM acc
),
lad AS (
    SELECT lad_code,
           min(mean_km_child_weighted) FILTER (WHERE la_percentile >= 1 - $la_share) AS la_km
    FROM acc
    GROUP BY lad_code
),
need AS (
    SELECT n.*, count(*) OVER () AS need_n
    FROM query_table($need_table) n
    WHERE need_measure = $need
),
w AS (
    SELECT a.*, nat.national_km, lad.la_km,
           CASE $rule WHEN 'local' THEN least(lad.la_km, nat.national_km)
                      WHEN 'national' THEN nat.national_km
                      ELSE $km END AS far_km
    FROM acc a CROSS JOIN nat JOIN lad USING (lad_code)
    WHERE $lad_code IS NULL OR a.lad_code = $lad_code
),
pop AS (
    SELECT lsoa_code,
           coalesce(CASE $basis WHEN 'under5' THEN under5 ELSE children_0_15 END, 0) AS c
    FROM query_table($lsoa_indicators)
),
beyond AS (
    SELECT w.ward_code,
           sum(k.w * coalesce(i.c, 0)) AS c_sum,
           sum(k.w * coalesce(i.c, 0) * (d.distance_km > w.far_km)::INTEGER)
               AS children_beyond,
           sum(k.w * coalesce(i.c, 0) * (d.distance_km > $km)::INTEGER)
               AS children_beyond_km
    FROM w
    JOIN lsoa_ward_weight k ON k.ward_code = w.ward_code
    JOIN lsoa_d d ON d.lsoa_code = k.lsoa_code
    LEFT JOIN pop i ON i.lsoa_code = k.lsoa_code
    GROUP BY w.ward_code
),
j AS (
    SELECT w.ward_code, w.ward_name, w.lad_code, w.lad_name,
           $service_type AS service_type, $measure AS measure,
           n.need_measure, n.need_value, n.need_decile, n.need_rank, n.need_n,
           w.children_0_15, w.mean_km_child_weighted, w.share_children_within_1km,
           w.share_children_within_2km, w.n_services, w.services_per_1000_children,
           w.access_percentile, w.la_percentile, w.national_km, w.la_km, w.far_km, w.n_covered,
           round(coalesce(b.children_beyond, 0))::BIGINT AS children_beyond,
           coalesce(b.children_beyond, 0) / nullif(b.c_sum, 0) AS share_beyond,
           n.need_decile <= $top_deciles AS high_need,
           n.need_decile <= $top_deciles
               AND w.mean_km_child_weighted >= least(w.la_km, w.national_km) AS flag_local,
           n.need_decile <= $top_deciles
               AND w.mean_km_child_weighted >= w.national_km AS flag_national,
           n.need_decile <= $top_deciles
               AND w.mean_km_child_weighted >= $km AS flag_distance,
           n.need_decile <= $top_deciles
               AND coalesce(b.children_beyond_km, 0) >= $min_share * b.c_sum
               AND b.c_sum > 0 AS flag_children_beyond,
           e.fit_share_of_ward, e.fit_spill, e.fit_poor
    FROM w
    JOIN need n ON n.ward_code = w.ward_code
    JOIN query_table($wards) e ON e.ward_code = w.ward_code
    LEFT JOIN beyond b ON b.ward_code = w.ward_code
),
f AS (
    SELECT *, CASE $rule WHEN 'local' THEN flag_local WHEN 'national' THEN flag_national
                         WHEN 'distance' THEN flag_distance
                         ELSE flag_children_beyond END AS gap_flag,
           $rule AS gap_rule, $basis AS basis
    FROM j
)
SELECT *,
       CASE WHEN high_need THEN row_number() OVER (
            PARTITION BY high_need
            ORDER BY gap_flag DESC, mean_km_child_weighted DESC, need_rank, ward_code) END
           AS commissioning_rank
FROM f
ORDER BY high_need DESC, commissioning_rank NULLS LAST, need_rank, ward_code;
