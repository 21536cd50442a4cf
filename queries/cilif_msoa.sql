-- CiLIF (DWP Stat-Xplore, MSOA 2011 by name): the kept rows (view _cilif_kept) matched to
-- MSOA11CD by name through the ONS LSOA11->MSOA11 lookup (msoa11). Suppressed cells -> NULL.
CREATE OR REPLACE TEMP TABLE cilif_msoa AS
SELECT m.msoa_code, k.area AS msoa_name, TRY_CAST(k.value AS DOUBLE) AS children_low_income
FROM _cilif_kept k
JOIN (SELECT DISTINCT msoa_code, msoa_name FROM msoa11) m ON k.area = m.msoa_name;

SELECT count(*) FROM cilif_msoa;
