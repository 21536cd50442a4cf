-- ONS mid-2020 population by single year of age, LSOA 2011 (rows kept by the reader, view
-- _sape_kept): all ages, children aged 0-15 (the sum of age_0 ... age_15) and under-5s (the
-- sum of age_0 ... age_4). Read for CiLIF, the under-5s and IoD2019 (needsmap.areas.lsoa11).
CREATE OR REPLACE TEMP TABLE sape20 AS
SELECT lsoa11_code,
       TRY_CAST(all_ages AS DOUBLE) AS all_ages,
       TRY_CAST(age_0 AS DOUBLE) + TRY_CAST(age_1 AS DOUBLE) + TRY_CAST(age_2 AS DOUBLE)
       + TRY_CAST(age_3 AS DOUBLE) + TRY_CAST(age_4 AS DOUBLE) + TRY_CAST(age_5 AS DOUBLE)
       + TRY_CAST(age_6 AS DOUBLE) + TRY_CAST(age_7 AS DOUBLE) + TRY_CAST(age_8 AS DOUBLE)
       + TRY_CAST(age_9 AS DOUBLE) + TRY_CAST(age_10 AS DOUBLE) + TRY_CAST(age_11 AS DOUBLE)
       + TRY_CAST(age_12 AS DOUBLE) + TRY_CAST(age_13 AS DOUBLE) + TRY_CAST(age_14 AS DOUBLE)
       + TRY_CAST(age_15 AS DOUBLE) AS children_0_15,
       (TRY_CAST(age_0 AS DOUBLE) + TRY_CAST(age_1 AS DOUBLE) + TRY_CAST(age_2 AS DOUBLE)
       + TRY_CAST(age_3 AS DOUBLE) + TRY_CAST(age_4 AS DOUBLE))::BIGINT AS under5
FROM _sape_kept;

SELECT count(*) FROM sape20;
