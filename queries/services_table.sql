-- The service table: one row per service and type, located by point-in-polygon
-- (services_locate.sql). Input: the registered frame _service_frame.
-- geom is EPSG:27700 (metres), geom_wgs84 is EPSG:4326 (lon, lat) for display.
CREATE OR REPLACE TABLE service AS
SELECT service_id, name, type, source, vintage,
       lon, lat, easting, northing,
       lsoa_code, ward_code, lad_code,
       source_ref, source_category, postcode, pupils::INTEGER AS pupils,
       geocode, locate_method,
       ST_Point(easting, northing) AS geom,
       ST_Point(lon, lat) AS geom_wgs84
FROM _service_frame
ORDER BY type, service_id;

CREATE INDEX service_geom_idx ON service USING RTREE (geom);
