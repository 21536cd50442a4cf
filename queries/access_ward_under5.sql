-- ward_access_under5: ward_access weighted by under-5s instead of children aged 0-15, for every
-- service type, plus the early-years group (the nearest of a family hub, children's centre or
-- nursery): the figures of access_ward_weighted.sql (run first, $basis = 'under5', with the
-- group) under their names. Weights u_i = w_i * under5_i (lsoa_indicators.under5).
--   mean_km_under5_weighted  = sum(u_i d_i) / sum(u_i)
--   share_under5_within_1km  = sum(u_i [d_i <= 1]) / sum(u_i)      (2 km likewise)
--   under5                   = the ward's under-5s (lsoa_ward_share, whole numbers)
--   under5_per_service       = sum(u_i) / n_services               (NULL without a service)
--   services_per_1000_under5 = 1000 * n_services / sum(u_i)
CREATE OR REPLACE TABLE ward_access_under5 AS
SELECT * RENAME (pop AS under5, mean_km AS mean_km_under5_weighted,
                 share_1km AS share_under5_within_1km, share_2km AS share_under5_within_2km,
                 per_service AS under5_per_service, per_1000 AS services_per_1000_under5)
FROM _ward_access_weighted
ORDER BY ward_code, service_type, measure;
DROP TABLE _ward_access_weighted;
