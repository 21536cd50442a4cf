-- Names and LSOA fit figures of the wards $w (ward_indicators_england; needsmap.areas.weights).
SELECT ward_code, ward_name, value_method, fit_share_of_ward, fit_spill, fit_poor
FROM ward_indicators_england
WHERE ward_code IN (SELECT unnest($w));
