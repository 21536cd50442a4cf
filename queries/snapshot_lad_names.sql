-- LA names in the store: every one ($lads NULL), or those of the LAD codes $lads.
SELECT DISTINCT lad_name FROM lsoa
WHERE CAST($lads AS VARCHAR[]) IS NULL OR list_contains(CAST($lads AS VARCHAR[]), lad_code);
