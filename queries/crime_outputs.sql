-- Recorded crime outputs (issue 7), from crime_point, crime_file and _crime_wards (the English
-- wards of ward_indicators_england and, issue 21, the Welsh ones: needsmap.crime.build).
-- Parameters: $selected_types (crime types in the rolling total), $min_area_rate (a LAD is in a
-- force's area when that force's points there are at least this many per 1,000 residents per
-- loaded month).

-- Tidy counts: ward x month x crime type (all forces; combinations with no crimes are absent,
-- i.e. zero, for months the ward's force is loaded).
-- Each record counts in the wards of its LSOA with the LSOA's weight w (lsoa_ward_weight; w = 1
-- for the best-fit ward except where an LSOA is shared by area), so ward counts are the LSOA
-- counts apportioned like the population they are divided by: whole numbers except in wards
-- with a shared LSOA, and sum over a LAD's wards = the LAD's records.
CREATE OR REPLACE TEMP VIEW _crime_point_ward AS
SELECT p.*, k.ward_code AS weight_ward_code, k.w
FROM crime_point p JOIN lsoa_ward_weight k USING (lsoa_code);

CREATE OR REPLACE TABLE ward_crime_monthly AS
SELECT weight_ward_code AS ward_code, lad_code, month, crime_type, sum(w)::DOUBLE AS crimes
FROM _crime_point_ward
GROUP BY ALL
ORDER BY ward_code, month, crime_type;

-- Which forces and months are loaded (one row per file).
CREATE OR REPLACE TABLE crime_coverage AS
SELECT police_force, CAST(month || '-01' AS DATE) AS month, file, header,
       rows_read, rows_kept, rows_rejected, lsoa_agree, lsoa_checked,
       CASE WHEN lsoa_checked > 0 THEN lsoa_agree / lsoa_checked END AS lsoa_agreement
FROM crime_file
ORDER BY police_force, month;

-- Force area by LAD: police force areas are made of whole local authorities. Files also hold a
-- few crimes located outside the force (e.g. Lancashire rows in Manchester): a LAD belongs to
-- the force with the highest rate of points there, if that rate reaches $min_area_rate.
CREATE OR REPLACE TEMP TABLE _crime_lad_force AS
WITH fm AS (
    SELECT police_force, count(DISTINCT month) AS n_months FROM crime_file GROUP BY police_force
), lp AS (
    SELECT lad_code, sum(population) AS pop FROM _crime_wards GROUP BY lad_code
), c AS (
    SELECT lad_code, police_force, count(*) AS n FROM crime_point GROUP BY lad_code, police_force
)
SELECT c.lad_code, c.police_force, c.n * 1000.0 / lp.pop / fm.n_months AS points_per_1000_month
FROM c JOIN fm USING (police_force) JOIN lp USING (lad_code)
WHERE lp.pop > 0
QUALIFY row_number() OVER (PARTITION BY c.lad_code ORDER BY points_per_1000_month DESC) = 1
    AND points_per_1000_month >= $min_area_rate;

-- Each force's window: the 12 calendar months ending with its latest loaded month.
CREATE OR REPLACE TEMP TABLE _crime_force_window AS
WITH fm AS (
    SELECT DISTINCT police_force, CAST(month || '-01' AS DATE) AS m FROM crime_file
), last AS (
    SELECT police_force, max(m) AS last_m FROM fm GROUP BY police_force
)
SELECT l.police_force,
       CAST(l.last_m - INTERVAL 11 MONTH AS DATE) AS window_start,
       l.last_m AS window_end,
       count(fm.m) AS months_in_window
FROM last l
JOIN fm ON fm.police_force = l.police_force
       AND fm.m BETWEEN CAST(l.last_m - INTERVAL 11 MONTH AS DATE) AND l.last_m
GROUP BY l.police_force, l.last_m;

-- Per ward: rolling 12-month totals over its force's window. Every English and Welsh ward has a row;
-- wards outside any loaded force area have NULL counts and full_coverage = false.
-- Rates (per 1,000 residents, Census 2021) are given only with full coverage (12 of 12 months).
CREATE OR REPLACE TEMP TABLE _ward_crime AS
WITH w AS (
    SELECT w.ward_code, w.ward_name, w.lad_code, w.lad_name, w.population,
           lf.police_force, fw.window_start, fw.window_end,
           coalesce(fw.months_in_window, 0) AS months_in_window
    FROM _crime_wards w
    LEFT JOIN _crime_lad_force lf ON lf.lad_code = w.lad_code
    LEFT JOIN _crime_force_window fw ON fw.police_force = lf.police_force
), c AS (
    SELECT p.weight_ward_code AS ward_code,
           coalesce(sum(p.w) FILTER (WHERE list_contains($selected_types, p.crime_type)), 0) AS crimes_12m,
           sum(p.w) AS all_crimes_12m,
           coalesce(sum(p.w) FILTER (WHERE p.crime_type = 'Violence and sexual offences'), 0) AS violence_12m,
           coalesce(sum(p.w) FILTER (WHERE p.crime_type = 'Burglary'), 0) AS burglary_12m,
           coalesce(sum(p.w) FILTER (WHERE p.crime_type = 'Criminal damage and arson'), 0) AS criminal_damage_12m,
           coalesce(sum(p.w) FILTER (WHERE p.crime_type = 'Anti-social behaviour'), 0) AS asb_12m
    FROM _crime_point_ward p
    JOIN w ON w.ward_code = p.weight_ward_code AND p.month BETWEEN w.window_start AND w.window_end
    GROUP BY p.weight_ward_code
)
SELECT w.ward_code, w.ward_name, w.lad_code, w.lad_name, w.police_force,
       w.window_start, w.window_end, w.months_in_window,
       (w.months_in_window = 12 AND coalesce(w.population, 0) > 0) AS full_coverage,
       w.population,
       CASE WHEN w.police_force IS NOT NULL THEN coalesce(c.crimes_12m, 0) END AS crimes_12m,
       CASE WHEN w.police_force IS NOT NULL THEN coalesce(c.all_crimes_12m, 0) END AS all_crimes_12m,
       CASE WHEN w.police_force IS NOT NULL THEN coalesce(c.violence_12m, 0) END AS violence_12m,
       CASE WHEN w.police_force IS NOT NULL THEN coalesce(c.burglary_12m, 0) END AS burglary_12m,
       CASE WHEN w.police_force IS NOT NULL THEN coalesce(c.criminal_damage_12m, 0) END AS criminal_damage_12m,
       CASE WHEN w.police_force IS NOT NULL THEN coalesce(c.asb_12m, 0) END AS asb_12m
FROM w LEFT JOIN c ON c.ward_code = w.ward_code
ORDER BY w.ward_code;
