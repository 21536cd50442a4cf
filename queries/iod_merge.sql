-- IoD2025 inputs merged per LSOA (needsmap.ingest.iod). The official File 7 (iod_file7) is the
-- IoD input for every LSOA it has; the mirror's re-serialised domain table (iod_domains, read
-- from File 7 by the IMD package) fills only the LSOAs File 7 lacks, so a partial official file
-- never empties another source's rows.
CREATE OR REPLACE TEMP TABLE _iod_domains_merged AS
SELECT lsoa_code, imd_score, income_rate, employment_rate, education_score, health_score,
       crime_score, barriers_score, living_environment_score, imd_rank, imd_decile,
       income_rank, crime_rank, 'IoD2025 File 7' AS iod_source
FROM iod_file7
UNION ALL
SELECT d.lsoa_code, d.imd_score, d.income_rate, d.employment_rate, d.education_score,
       d.health_score, d.crime_score, d.barriers_score, d.living_environment_score, d.imd_rank,
       d.imd_decile, d.income_rank, d.crime_rank, 'IoD2025 domains (mirror, re-serialised from File 7)' AS iod_source
FROM iod_domains d
ANTI JOIN iod_file7 f USING (lsoa_code);

CREATE OR REPLACE TEMP TABLE iod_domains AS SELECT * FROM _iod_domains_merged;
DROP TABLE _iod_domains_merged;

-- The official IDACI score, per LSOA, from the first source that has it: File 7 (with its own
-- mid-2022 denominator), then File 5, then the mirror's exact File 5 extract (Blackpool).
CREATE OR REPLACE TEMP TABLE iod_idaci_official AS
WITH f7 AS (
    SELECT lsoa_code, idaci_score, children_0_15_mid2022::DOUBLE AS idaci_denominator,
           'IoD2025 File 7' AS idaci_source, 1 AS priority
    FROM iod_file7 WHERE idaci_score IS NOT NULL
), f5 AS (
    SELECT lsoa_code, idaci_score, NULL::DOUBLE, 'IoD2025 File 5', 2 FROM iod_idaci_file5
    WHERE idaci_score IS NOT NULL
), ex AS (
    SELECT lsoa_code, idaci_score, NULL::DOUBLE, 'IoD2025 File 5 extract', 3
    FROM iod_idaci_extract WHERE idaci_score IS NOT NULL
)
SELECT lsoa_code, idaci_score, idaci_denominator, idaci_source
FROM (SELECT * FROM f7 UNION ALL SELECT * FROM f5 UNION ALL SELECT * FROM ex)
QUALIFY row_number() OVER (PARTITION BY lsoa_code ORDER BY priority) = 1;

-- Per source: LSOAs it gave the IDACI score for (for the build summary).
SELECT idaci_source, count(*) FROM iod_idaci_official GROUP BY 1 ORDER BY 1;
