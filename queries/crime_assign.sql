-- One police.uk file, step 2b: cache the newly located snap points.
-- Input: _crime_new_xy (distinct lon, lat, their x, y in EPSG:27700 and the LSOA 2021 that
-- contains each, located by needsmap.crime.ingest.assign_new_points with shapely's STRtree;
-- NULL for a point in no English LSOA). Every crime row then joins back to crime_snap.
INSERT INTO crime_snap
SELECT lon, lat, x, y, lsoa_code
FROM _crime_new_xy;
