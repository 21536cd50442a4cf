-- Every English ward (England's aggregate is made from their LSOA weights, which cover every
-- LSOA once).
SELECT ward_code FROM ward_indicators_england;
