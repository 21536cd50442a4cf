-- Record the police.uk files of a batch, one row each (parameters: one list per column).
INSERT INTO crime_file
SELECT unnest($c0), unnest($c1), unnest($c2), unnest($c3), unnest($c4), unnest($c5),
       unnest($c6), unnest($c7), unnest($c8), unnest($c9), unnest($c10);
