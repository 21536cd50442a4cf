-- Census 2021 usual residents by six age bands (long format, rows kept by the reader's rules,
-- view _census_kept) -> census_lsoa: population = sum of the bands; children = the band
-- $child_band ("Aged 15 years and under"). The band is matched as read first; only a band
-- that is none of the six as read is trimmed.
CREATE OR REPLACE TEMP TABLE census_lsoa AS
SELECT lsoa21_code AS lsoa_code,
       sum(TRY_CAST(TRY_CAST(usual_residents AS DOUBLE) AS BIGINT))::BIGINT AS population,
       sum(CASE WHEN age_group = $child_band
                    THEN TRY_CAST(TRY_CAST(usual_residents AS DOUBLE) AS BIGINT)
                WHEN list_contains($other_bands, age_group) THEN NULL
                WHEN trim(age_group) = $child_band
                    THEN TRY_CAST(TRY_CAST(usual_residents AS DOUBLE) AS BIGINT) END)::BIGINT
           AS children_0_15,
       count(*) AS n_bands
FROM _census_kept
GROUP BY 1;

-- LSOAs lacking one or more of the six bands (for the load-report note).
SELECT count(*) FROM census_lsoa WHERE n_bands <> 6;
