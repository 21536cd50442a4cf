-- Where each service type is covered by a list.
-- National sources ($national: GIAS, epraccur, libraries) cover every English LAD.
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
),
local_ AS (
    SELECT DISTINCT type AS service_type, source, lad_code, 'local list' AS coverage
    FROM service
    WHERE NOT list_contains($national, source)
)
SELECT * FROM national
UNION ALL
SELECT * FROM local_
ORDER BY service_type, source, lad_code;
