-- Change since IoD2019 for an area (a locality or an LA): the people-weighted mean national
-- positions of its LSOAs in IoD2019 and IoD2025 (aggregate_change, as for wards), per measure.
-- The caller registers snapshot_group(group_id, ward_code); each ward brings its LSOAs with
-- their weights (lsoa_ward_weight; an LSOA shared by two wards of the area counts with the sum).
CREATE OR REPLACE TEMP VIEW snapshot_change_group AS
SELECT k.lsoa_code, g.group_id AS group_code, sum(k.w) AS w
FROM snapshot_group AS g
JOIN lsoa_ward_weight AS k ON k.ward_code = g.ward_code
GROUP BY ALL;

SELECT group_code AS group_id, measure, pct_2019, pct_2025, uncertainty, share_remapped
FROM aggregate_change('snapshot_change_group')
ORDER BY group_id, measure
