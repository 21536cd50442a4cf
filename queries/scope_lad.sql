-- scope_lad: the LADs the build covers ($lads: LAD24 codes, NULL = every LAD of the lookup).
CREATE OR REPLACE TABLE scope_lad AS
SELECT DISTINCT lad_code, lad_name
FROM lookup_lsoa21_wd24
WHERE CAST($lads AS VARCHAR[]) IS NULL OR list_contains(CAST($lads AS VARCHAR[]), lad_code)
ORDER BY 1;
