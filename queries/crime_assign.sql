-- One police.uk file, step 2b: cache the newly located snap points.
-- Input: the registered frame _crime_new_df (distinct lon, lat, their x, y in EPSG:27700 and
-- the LSOA 2021 that needsmap.areas.locate.lsoa_of_points gave each; NULL for a point in no
-- English LSOA). Every crime row then joins back to crime_snap.
INSERT INTO crime_snap
SELECT lon, lat, x, y, lsoa_code::VARCHAR
FROM _crime_new_df;
