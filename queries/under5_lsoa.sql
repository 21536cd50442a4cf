-- Under-5s per LSOA 2021 (needsmap.areas.lsoa11.under5): the ONS mid-2020 estimates of
-- ages 0-4 per LSOA 2011 (sape20.under5) carried by w_children (lsoa11_counts). under5 is a
-- whole number (largest remainder within each LSOA 2011, so every LSOA 2011's under-5s, and
-- England's, are kept exactly); under5_exact is the apportioned count.
CREATE OR REPLACE TEMP VIEW _under5_src AS
SELECT lsoa11_code, 'under5' AS measure, under5::DOUBLE AS value, 'children' AS basis
FROM sape20;

CREATE OR REPLACE TEMP TABLE _under5_l21 AS
SELECT lsoa_code, value_whole AS under5, value AS under5_exact
FROM lsoa11_counts('_under5_src');
