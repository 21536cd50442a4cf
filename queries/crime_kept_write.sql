-- The kept rows of a load into crime_point, written once: a new table when crime_point is empty
-- (a build, or `needsmap crime`, which drops it first: one bulk write), else appended.
-- $empty: crime_point had no rows.
CREATE OR REPLACE TABLE crime_point AS
SELECT * FROM crime_point WHERE NOT $empty
UNION ALL
SELECT * FROM _crime_kept;
DROP TABLE _crime_kept;
