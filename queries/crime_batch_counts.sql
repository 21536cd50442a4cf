-- A batch of police.uk files, step 3: per file, rows read and kept, kept rows whose own LSOA
-- code agrees with their point-in-polygon LSOA, and rejected rows per reason (a map
-- reason_key -> count).
WITH cls AS (
    SELECT file_idx, count(*) AS n_rows,
           count(*) FILTER (WHERE reason_key IS NULL) AS kept
    FROM _crime_cls GROUP BY 1
), bad AS (
    SELECT file_idx, count(*) AS n FROM _crime_bad GROUP BY 1
), agree AS (
    SELECT file_idx, count(*) FILTER (WHERE lsoa_agrees) AS agree, count(lsoa_agrees) AS checked
    FROM _crime_cls WHERE reason_key IS NULL GROUP BY 1
), rs AS (
    SELECT file_idx, map(list(reason_key ORDER BY n DESC, reason_key),
                         list(n ORDER BY n DESC, reason_key)) AS reasons
    FROM (SELECT file_idx, reason_key, count(*) AS n FROM _crime_cls
          WHERE reason_key IS NOT NULL GROUP BY 1, 2
          UNION ALL
          SELECT file_idx, CASE WHEN is_cast THEN 'non_numeric' ELSE 'malformed' END, count(*)
          FROM _crime_bad GROUP BY 1, 2)
    GROUP BY 1
)
SELECT f.file_idx,
       (coalesce(cls.n_rows, 0) + coalesce(bad.n, 0))::BIGINT AS rows_read,
       coalesce(cls.kept, 0) AS rows_kept, coalesce(agree.agree, 0) AS agree,
       coalesce(agree.checked, 0) AS checked, rs.reasons
FROM _crime_files f
LEFT JOIN cls USING (file_idx)
LEFT JOIN bad USING (file_idx)
LEFT JOIN agree USING (file_idx)
LEFT JOIN rs USING (file_idx)
ORDER BY f.file_idx;
