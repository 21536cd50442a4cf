-- One police.uk file's rejected rows per reason, most frequent first.
SELECT reason_key, count(*) FROM _crime_rejects GROUP BY reason_key ORDER BY 2 DESC, 1;
