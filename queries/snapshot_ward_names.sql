-- Names of the wards $w.
SELECT DISTINCT ward_code, ward_name FROM lsoa WHERE ward_code IN (SELECT unnest($w));
