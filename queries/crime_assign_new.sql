-- One police.uk file, step 2a: the distinct coordinates not yet in crime_snap.
-- police.uk coordinates are anonymised to a fixed set of snap points, so each distinct
-- (longitude, latitude) is assigned once and cached in crime_snap for later rows and files.
CREATE OR REPLACE TEMP TABLE _crime_new AS
SELECT n.lon, n.lat
FROM (
    SELECT DISTINCT "Longitude" AS lon, "Latitude" AS lat
    FROM _crime_read
    WHERE "Longitude" BETWEEN -180 AND 180 AND "Latitude" BETWEEN -90 AND 90
) n
ANTI JOIN crime_snap s ON s.lon = n.lon AND s.lat = n.lat;

SELECT lon, lat FROM _crime_new;
