-- ONS LSOA11 -> LSOA21 lookup rows kept by the reader (view _lsoa11_lsoa21_kept); change is
-- U (unchanged), S (split), M (merged) or X (irregular).
CREATE OR REPLACE TEMP TABLE lsoa11_lsoa21 AS
SELECT LSOA11CD AS lsoa11_code, LSOA21CD AS lsoa21_code, CHGIND AS change
FROM _lsoa11_lsoa21_kept;

SELECT count(*) FROM lsoa11_lsoa21;
