-- LADs with mapped wards, by nation (issue 21): every LAD with a ward polygon in `ward`.
SELECT DISTINCT lad_code, lad_name, nation FROM ward WHERE geom IS NOT NULL ORDER BY lad_name
