-- One police.uk file, step 2b: point-in-polygon assignment of the new snap points.
-- Input: _crime_new_xy (lon, lat and x, y in EPSG:27700, transformed by pyproj exactly as
-- DuckDB's ST_Transform would, without paying PROJ's set-up cost once per file).
-- DuckDB's spatial join (R-tree) against the LSOA 2021 polygons in EPSG:27700. A point on a
-- shared boundary takes the smallest LSOA code; a point in no English LSOA gets NULL.
INSERT INTO crime_snap
SELECT n.lon, n.lat, n.x, n.y, a.lsoa_code
FROM _crime_new_xy n
LEFT JOIN (
    SELECT c.lon, c.lat, min(l.lsoa_code) AS lsoa_code
    FROM _crime_new_xy c
    JOIN lsoa l ON ST_Contains(l.geom, ST_Point(c.x, c.y))
    GROUP BY c.lon, c.lat
) a ON a.lon = n.lon AND a.lat = n.lat;
