-- Kept police.uk rows of a load, gathered batch by batch (the same columns as crime_point).
CREATE OR REPLACE TEMP TABLE _crime_kept AS SELECT * FROM crime_point LIMIT 0;
