-- ward_access_wales: Welsh wards' access, the twin of ward_access (the same columns and
-- formulas: access_ward.sql on _ward_access_weighted run with the Welsh tables). The access
-- stage runs access_ward_weighted.sql and access_ward.sql for Wales first, then this rename,
-- then both again for England, so the one formula and one set of column names serve both.
ALTER TABLE ward_access RENAME TO ward_access_wales;
