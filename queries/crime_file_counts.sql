-- One police.uk file's counts: rows read, kept, and kept rows whose own LSOA code agrees.
SELECT (SELECT count(*) FROM _crime_raw) + (SELECT count(*) FROM _crime_bad) AS rows_read,
       (SELECT count(*) FROM _crime_keep) AS rows_kept,
       (SELECT count(*) FILTER (WHERE lsoa_agrees) FROM _crime_keep) AS lsoa_agree,
       (SELECT count(lsoa_agrees) FROM _crime_keep) AS lsoa_checked;
