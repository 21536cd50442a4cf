-- Search: wards and local authorities whose name (or code) matches $text, case-insensitive.
-- exact: the whole name, other name or code equals $text; otherwise the name contains it. An LA
-- with a Welsh name (_search_alt, search_alt_names.sql) is listed as "Newport / Casnewydd" and
-- matches either name. in_scope: the LA is one the store was built for (scope_lad). Areas come
-- from _search_lsoa (search_places*.sql: the national English LSOAs and, in a store with Wales,
-- the Welsh ones), with their nation.
WITH las AS (
    SELECT DISTINCT lad_code, lad_name, nation FROM _search_lsoa
),
areas AS (
    SELECT 'la' AS kind, l.lad_code AS code,
           l.lad_name || coalesce(' / ' || a.alt_name, '') AS name, l.lad_code, l.lad_name,
           l.nation, coalesce(a.alt_name, l.lad_name) AS alt
    FROM las l LEFT JOIN _search_alt a USING (lad_code)
    UNION ALL
    SELECT DISTINCT 'ward', ward_code, ward_name, lad_code, lad_name, nation, ward_name
    FROM _search_lsoa
)
SELECT a.kind, a.code, a.name, a.lad_code, a.lad_name, a.nation,
       (lower(a.name) = lower($text) OR lower(a.code) = lower($text)
        OR lower(a.alt) = lower($text)
        OR (a.kind = 'la' AND lower(a.lad_name) = lower($text))) AS exact,
       a.lad_code IN (SELECT lad_code FROM scope_lad) AS in_scope
FROM areas a
WHERE lower(a.name) = lower($text) OR lower(a.code) = lower($text)
   OR contains(lower(a.name), lower($text))
ORDER BY exact DESC, CASE a.kind WHEN 'la' THEN 0 ELSE 1 END, a.name, a.lad_name
