-- One police.uk file, step 2: point-in-polygon assignment of new snap points.
-- police.uk coordinates are anonymised to a fixed set of snap points, so each distinct
-- (longitude, latitude) is transformed to EPSG:27700 and joined to the LSOA 2021 polygons
-- once; crime_snap caches the result for later rows and files. A point on a shared boundary
-- takes the smallest LSOA code; a point in no English LSOA gets NULL.
CREATE OR REPLACE TEMP TABLE _crime_new AS
SELECT n.lon, n.lat,
       ST_Transform(ST_Point(n.lon, n.lat), 'EPSG:4326', 'EPSG:27700', always_xy := true) AS pt
FROM (
    SELECT DISTINCT "Longitude" AS lon, "Latitude" AS lat
    FROM _crime_raw
    WHERE "Longitude" BETWEEN -180 AND 180 AND "Latitude" BETWEEN -90 AND 90
) n
ANTI JOIN crime_snap s ON s.lon = n.lon AND s.lat = n.lat;

INSERT INTO crime_snap
SELECT n.lon, n.lat, ST_X(n.pt), ST_Y(n.pt), a.lsoa_code
FROM _crime_new n
LEFT JOIN (
    SELECT c.lon, c.lat, min(l.lsoa_code) AS lsoa_code
    FROM _crime_new c
    JOIN lsoa l ON ST_Contains(l.geom, c.pt)
    GROUP BY c.lon, c.lat
) a ON a.lon = n.lon AND a.lat = n.lat;
