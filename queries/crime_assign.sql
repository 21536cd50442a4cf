-- One police.uk file, step 2b: point-in-polygon assignment of the new snap points.
-- Input: _crime_new_xy (distinct lon, lat and their x, y in EPSG:27700, transformed by pyproj
-- exactly as DuckDB's ST_Transform would, without paying PROJ's set-up cost once per file).
-- DuckDB's spatial join (R-tree) against the LSOA 2021 polygons in EPSG:27700, as a LEFT join
-- so that a point in no English LSOA is kept with a NULL code. A point on a shared boundary
-- (or in an overlap of the generalised polygons) takes the smallest LSOA code.
INSERT INTO crime_snap
SELECT n.lon, n.lat, n.x, n.y, min(l.lsoa_code) AS lsoa_code
FROM _crime_new_xy n
LEFT JOIN lsoa l ON ST_Contains(l.geom, ST_Point(n.x, n.y))
GROUP BY n.lon, n.lat, n.x, n.y;
