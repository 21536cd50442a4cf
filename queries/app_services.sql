-- Services with a map position in the LADs $lads (NULL: every LAD), for the app's layers.
SELECT service_id, name, type, source, vintage, lon, lat, lad_code, ward_code
FROM service
WHERE lon IS NOT NULL AND lat IS NOT NULL
  AND (CAST($lads AS VARCHAR[]) IS NULL OR list_contains(CAST($lads AS VARCHAR[]), lad_code))
ORDER BY service_id;
