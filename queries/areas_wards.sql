-- The ward tables, from what needsmap.areas.build registers:
--   _lsoa_ward_weight(lsoa_code, ward_code, w, method)               LSOA->ward weights
--   _ward_list(ward_code, ward_name, lad_code, lad_name, geom_method, value_method,
--              fit_share_of_ward, fit_spill, fit_poor)                every English ward
--   _ward_geom(ward_code, geom_method, wkb, wkb_wgs84)               polygons of wards in scope
-- geom_method: the ONS WD24 boundary product the whole map uses ('ons_wd24_bsc', or '_bgc' /
-- '_bfc' from a user's cache), or 'lsoa21_best_fit_dissolve' when no ward file was available.
CREATE OR REPLACE TABLE lsoa_ward_weight AS
SELECT lsoa_code, ward_code, w::DOUBLE AS w, method
FROM _lsoa_ward_weight
ORDER BY lsoa_code, ward_code;

CREATE OR REPLACE TABLE ward AS
SELECT l.ward_code, l.ward_name, l.lad_code, l.lad_name, 'England' AS nation, g.geom_method,
       ST_GeomFromWKB(g.wkb) AS geom, ST_GeomFromWKB(g.wkb_wgs84) AS geom_wgs84
FROM _ward_list l JOIN _ward_geom g USING (ward_code)
WHERE l.lad_code IN (SELECT lad_code FROM scope_lad)
ORDER BY l.ward_code;

-- lsoa_shares(weights, indicators): each LSOA's weight in each ward (`weights`: lsoa_code,
-- ward_code, w, method) with its residents, children and under-5s (`indicators`: lsoa_code,
-- population, children_0_15, under5) given to the ward as whole numbers that sum exactly to the
-- LSOA's counts (largest remainder: floor(w * count) each, then one more to the largest
-- fractional parts until the LSOA's count is reached; ties by ward code). With w = 1 the counts
-- are the LSOA's. English wards here (lsoa_ward_share); Welsh wards in wales_aggregate.sql.
CREATE OR REPLACE MACRO lsoa_shares(weights, indicators) AS TABLE
WITH x AS (
    SELECT k.lsoa_code, k.ward_code, k.w, k.method,
           i.population::BIGINT AS pop, i.children_0_15::BIGINT AS kids, i.under5::BIGINT AS u5,
           i.population * k.w AS pq, i.children_0_15 * k.w AS kq, i.under5 * k.w AS uq
    FROM query_table(weights) k JOIN query_table(indicators) i USING (lsoa_code)
), r AS (
    SELECT *,
           pop - sum(floor(pq)) OVER (PARTITION BY lsoa_code) AS p_short,
           kids - sum(floor(kq)) OVER (PARTITION BY lsoa_code) AS k_short,
           u5 - sum(floor(uq)) OVER (PARTITION BY lsoa_code) AS u_short,
           row_number() OVER (PARTITION BY lsoa_code ORDER BY pq - floor(pq) DESC, ward_code) AS p_rank,
           row_number() OVER (PARTITION BY lsoa_code ORDER BY kq - floor(kq) DESC, ward_code) AS k_rank,
           row_number() OVER (PARTITION BY lsoa_code ORDER BY uq - floor(uq) DESC, ward_code) AS u_rank
    FROM x
)
SELECT lsoa_code, ward_code, w, method,
       (floor(pq) + CASE WHEN p_rank <= p_short THEN 1 ELSE 0 END)::BIGINT AS population,
       (floor(kq) + CASE WHEN k_rank <= k_short THEN 1 ELSE 0 END)::BIGINT AS children_0_15,
       (floor(uq) + CASE WHEN u_rank <= u_short THEN 1 ELSE 0 END)::BIGINT AS under5
FROM r;

CREATE OR REPLACE VIEW lsoa_ward_share AS
SELECT * FROM lsoa_shares('lsoa_ward_weight', 'lsoa_indicators');

CREATE OR REPLACE TEMP VIEW _grp_ward AS
SELECT lsoa_code, ward_code AS group_code, w, population, children_0_15, under5 FROM lsoa_ward_share;

-- every English ward, including any no LSOA reaches (NULL figures)
CREATE OR REPLACE TABLE ward_indicators_england AS
SELECT l.ward_code, l.ward_name, l.lad_code, l.lad_name,
       coalesce(a.n_lsoa, 0)::INTEGER AS n_lsoa, a.* EXCLUDE (group_code, n_lsoa),
       l.value_method, l.fit_share_of_ward::DOUBLE AS fit_share_of_ward,
       l.fit_spill::DOUBLE AS fit_spill, l.fit_poor::BOOLEAN AS fit_poor,
       $vintage_iod AS vintage_iod, $vintage_census AS vintage_census,
       $vintage_lookup AS vintage_lookup, $vintage_cilif AS vintage_cilif
FROM _ward_list l
LEFT JOIN aggregate_indicators('_grp_ward') a ON a.group_code = l.ward_code
ORDER BY l.ward_code;

CREATE OR REPLACE TABLE lad_indicators AS
SELECT a.*,
       (SELECT count(*) FROM _ward_list w WHERE w.lad_code = a.lad_code)::INTEGER AS n_ward,
       $vintage_iod AS vintage_iod, $vintage_census AS vintage_census,
       $vintage_lookup AS vintage_lookup, $vintage_cilif AS vintage_cilif
FROM _lad_agg a
ORDER BY a.lad_code;

-- a view: the indicators live once, in ward_indicators_england; the geometry once, in ward
CREATE OR REPLACE VIEW ward_indicators AS
SELECT e.*, w.geom_method, w.geom, w.geom_wgs84
FROM ward_indicators_england e JOIN ward w USING (ward_code);
