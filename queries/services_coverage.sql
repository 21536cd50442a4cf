-- Where each service type is covered by a list.
-- National sources ($national: GIAS, epraccur, libraries) cover every English LAD; those that
-- also cover Wales ($wales: epraccur's Welsh practices, the libraries list) every Welsh LAD
-- (lookup_lsoa21_wd24_wales). GIAS and the DfE lists are England-only: their types are out of
-- coverage in Wales, where "no school nearby" would only mean "no Welsh list".
-- Local lists (Trafford children's centres, Greater Manchester pharmacies, users' own
-- lists) cover only the LADs that hold at least one of their services: outside those,
-- "no service nearby" may only mean "no list", so access measures there are flagged
-- in_coverage = false and left out of ward_gaps.
CREATE OR REPLACE TABLE service_coverage AS
WITH national AS (
    SELECT DISTINCT s.type AS service_type, s.source, l.lad_code, 'national' AS coverage
    FROM service s
    CROSS JOIN (SELECT DISTINCT lad_code FROM lsoa) l
    WHERE list_contains($national, s.source)
    UNION ALL
    SELECT DISTINCT s.type, s.source, l.lad_code, 'national'
    FROM service s
    CROSS JOIN (SELECT DISTINCT lad_code FROM lookup_lsoa21_wd24_wales) l
    WHERE list_contains($wales, s.source)
),
local_ AS (
    SELECT DISTINCT type AS service_type, source, lad_code, 'local list' AS coverage
    FROM service
    WHERE NOT list_contains($national, source) AND NOT list_contains($wales, source)
)
SELECT * FROM national
UNION ALL
SELECT * FROM local_
ORDER BY service_type, source, lad_code;
