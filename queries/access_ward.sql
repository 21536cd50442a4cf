-- ward_access: one row per (English WD24 ward, service type, measure), children-weighted: the
-- figures of access_ward_weighted.sql (run first, $basis = 'children', no group) under their
-- names. Run with the Welsh tables it makes the Welsh twin, renamed ward_access_wales
-- (access_ward_wales.sql). Weights c_i = w_i * children_i (lsoa_indicators.children_0_15, Census 2021, aged 15
-- and under); d_i = lsoa_access.distance_km.
--   mean_km_child_weighted     = sum(c_i * d_i) / sum(c_i)
--   share_children_within_1km  = sum(c_i * [d_i <= 1]) / sum(c_i)      (a fraction 0..1)
--   share_children_within_2km  = sum(c_i * [d_i <= 2]) / sum(c_i)
--   children_0_15              = the ward's children (lsoa_ward_share, whole numbers)
--   n_services                 = sum(w_i * services of the type whose point lies in LSOA i)
--   services_per_1000_children = 1000 * n_services / sum(c_i)  (NULL when no children)
CREATE OR REPLACE TABLE ward_access AS
SELECT * EXCLUDE (per_service)
         RENAME (pop AS children_0_15, mean_km AS mean_km_child_weighted,
                 share_1km AS share_children_within_1km, share_2km AS share_children_within_2km,
                 per_1000 AS services_per_1000_children)
FROM _ward_access_weighted
ORDER BY ward_code, service_type, measure;
DROP TABLE _ward_access_weighted;
