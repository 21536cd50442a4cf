-- ONS LSOA11 -> MSOA11 lookup rows kept by the reader (view _msoa11_kept).
CREATE OR REPLACE TEMP TABLE msoa11 AS
SELECT LSOA11CD AS lsoa11_code, MSOA11CD AS msoa_code, MSOA11NM AS msoa_name
FROM _msoa11_kept;

SELECT count(*) FROM msoa11;
