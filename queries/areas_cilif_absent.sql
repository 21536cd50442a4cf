-- Empty CiLIF tables for a build whose mirror/cache lacks one of the CiLIF files (same
-- columns as needsmap.ingest.cilif writes); areas_lsoa.sql then leaves cilif_* NULL.
CREATE OR REPLACE TEMP TABLE cilif_msoa (msoa_code VARCHAR, msoa_name VARCHAR, children_low_income DOUBLE);
CREATE OR REPLACE TEMP TABLE msoa11 (lsoa11_code VARCHAR, msoa_code VARCHAR, msoa_name VARCHAR);
