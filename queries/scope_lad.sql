-- scope_lad: the LADs the build covers ($lads: LAD24 codes, NULL = every LAD of the lookup),
-- English and Welsh (issue 21), with their nation.
CREATE OR REPLACE TABLE scope_lad AS
SELECT DISTINCT lad_code, lad_name, nation
FROM (SELECT lad_code, lad_name, 'England' AS nation FROM lookup_lsoa21_wd24
      UNION ALL
      SELECT lad_code, lad_name, 'Wales' AS nation FROM lookup_lsoa21_wd24_wales)
WHERE CAST($lads AS VARCHAR[]) IS NULL OR list_contains(CAST($lads AS VARCHAR[]), lad_code)
ORDER BY 1;
