-- Whether crime_point holds no rows yet.
SELECT NOT EXISTS (SELECT 1 FROM crime_point);
