-- Services in and near an area (issue 6): every service whose point lies within
-- $near_m metres of the union of the area's wards (snapshot_group), flagged `inside`
-- when its ward (assigned by point-in-polygon in the services stage) is one of them.
WITH area AS (
    SELECT ST_Union_Agg(w.geom) AS g
    FROM ward AS w
    JOIN snapshot_group AS s ON s.ward_code = w.ward_code
),
box AS (
    SELECT g, ST_XMin(g) - $near_m AS x0, ST_XMax(g) + $near_m AS x1,
              ST_YMin(g) - $near_m AS y0, ST_YMax(g) + $near_m AS y1
    FROM area
)
SELECT s.name, s.type, s.easting, s.northing,
       s.ward_code IN (SELECT ward_code FROM snapshot_group) AS inside
FROM service AS s, box
WHERE s.easting BETWEEN box.x0 AND box.x1
  AND s.northing BETWEEN box.y0 AND box.y1
  AND ST_DWithin(ST_Point(s.easting, s.northing), box.g, $near_m)
ORDER BY type, s.name
