-- The store's sources that bear on a snapshot of the LAs $lads: every national source; a local
-- service list only if it covers one of $lads (service_coverage); a police.uk file only if at
-- least one of its crimes is in one of $lads. (Sources extracted for one named LA are
-- filtered by name in needsmap.snapshot.content._sources.)
SELECT s.publisher, s.title, s.licence, s.vintage, s.source_id
FROM source s
WHERE (s.source_id NOT IN (SELECT source FROM service_coverage WHERE coverage <> 'national')
       OR s.source_id IN (SELECT source FROM service_coverage
                          WHERE list_contains($lads, lad_code)))
  AND (NOT starts_with(s.source_id, 'police_uk:')
       OR s.path IN (SELECT f.file FROM crime_file f
                     WHERE f.file_id IN (SELECT DISTINCT p.file_id FROM crime_point p
                                         WHERE p.lad_code IN (SELECT unnest($lads)))));
