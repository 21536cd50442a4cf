-- The Welsh-language names of Welsh LAs (lad_name_wales), for the area list's labels.
SELECT lad_code, lad_name_cy FROM lad_name_wales WHERE lad_name_cy IS NOT NULL ORDER BY lad_code
