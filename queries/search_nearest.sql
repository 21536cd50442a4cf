-- Search: the $k nearest services of each type to one point ($x, $y, EPSG:27700 metres), by
-- straight-line distance in km, and whether the type's list covers the LAD $lad_code
-- (service_coverage: national lists cover every LAD; a local list only the LADs it has points in,
-- so elsewhere "nearest" may only mean "nearest on a list kept by another area").
WITH d AS (
    SELECT s.type AS service_type, s.service_id, s.name, s.postcode, s.easting, s.northing,
           s.lon, s.lat, s.lad_code,
           sqrt((s.easting - $x) ^ 2 + (s.northing - $y) ^ 2) / 1000.0 AS distance_km
    FROM service s
)
SELECT d.*,
       row_number() OVER (PARTITION BY d.service_type ORDER BY d.distance_km, d.service_id) AS rank,
       EXISTS (SELECT 1 FROM service_coverage c
               WHERE c.service_type = d.service_type AND c.lad_code = $lad_code) AS list_covers_area
FROM d
QUALIFY rank <= $k
ORDER BY d.service_type, rank
