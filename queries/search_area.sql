-- Search: the point and extent of a ward or LA ($kind 'ward' or 'la', code $code) from its LSOAs:
-- the population-weighted mean of the LSOA points (to centre a map on) and the bounding box.
SELECT sum(l.centroid_x * i.population) / sum(i.population) AS x,
       sum(l.centroid_y * i.population) / sum(i.population) AS y,
       min(ST_XMin(l.geom)) AS xmin, min(ST_YMin(l.geom)) AS ymin,
       max(ST_XMax(l.geom)) AS xmax, max(ST_YMax(l.geom)) AS ymax,
       any_value(l.ward_name) FILTER (WHERE $kind = 'ward') AS ward_name,
       any_value(l.lad_code) AS lad_code, any_value(l.lad_name) AS lad_name
FROM lsoa l JOIN lsoa_indicators i USING (lsoa_code)
WHERE ($kind = 'ward' AND l.ward_code = $code) OR ($kind = 'la' AND l.lad_code = $code)
