-- Empty CiLIF tables for a build whose mirror/cache lacks one of the four CiLIF files
-- (same columns as needsmap.ingest.cilif writes); core_lsoa then leaves cilif_* NULL.
CREATE OR REPLACE TEMP TABLE cilif_msoa (msoa_code VARCHAR, msoa_name VARCHAR, children_low_income DOUBLE);
CREATE OR REPLACE TEMP TABLE msoa11 (lsoa11_code VARCHAR, msoa_code VARCHAR, msoa_name VARCHAR);
CREATE OR REPLACE TEMP TABLE lsoa11_lsoa21 (lsoa11_code VARCHAR, lsoa21_code VARCHAR, change VARCHAR);
CREATE OR REPLACE TEMP TABLE sape20 (lsoa11_code VARCHAR, children_0_15 DOUBLE);
