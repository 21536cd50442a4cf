-- Every English ward with LSOAs (England's aggregate is made from them).
SELECT DISTINCT ward_code FROM lsoa WHERE ward_code IS NOT NULL;
