-- Ward polygons (EPSG:27700 WKB) for a snapshot map: the area's wards $w and the rest of LA $lad.
SELECT ward_code, lad_code, geom_method, ST_AsWKB(geom) AS wkb
FROM ward
WHERE lad_code = $lad OR ward_code IN (SELECT unnest($w));
