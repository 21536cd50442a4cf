-- Search: the point and extent of a ward or LA ($kind 'ward' or 'la', code $code) from its LSOAs
-- (_search_lsoa, search_places*.sql: English and, in a store with Wales, Welsh LSOAs): the
-- population-weighted mean of the LSOA points (to centre a map on) and the bounding box.
SELECT sum(l.centroid_x * l.population) / sum(l.population) AS x,
       sum(l.centroid_y * l.population) / sum(l.population) AS y,
       min(ST_XMin(l.geom)) AS xmin, min(ST_YMin(l.geom)) AS ymin,
       max(ST_XMax(l.geom)) AS xmax, max(ST_YMax(l.geom)) AS ymax,
       any_value(l.ward_name) FILTER (WHERE $kind = 'ward') AS ward_name,
       any_value(l.lad_code) AS lad_code, any_value(l.lad_name) AS lad_name,
       any_value(l.nation) AS nation
FROM _search_lsoa l
WHERE ($kind = 'ward' AND l.ward_code = $code) OR ($kind = 'la' AND l.lad_code = $code)
