-- The change layer of Explore: every ward's IoD2019 and IoD2025 national position for one
-- measure ($measure, a key of needsmap.areas.change.MEASURES), from ward_change.
-- rank_change = rank_2019 - rank_2025 (positive = more deprived relative to England than in
-- 2019); [rank_2019_low, rank_2019_high] = the 2019 rank's range from the LSOA re-mapping;
-- direction = more_deprived | stayed | less_deprived (needsmap.areas.change).
SELECT ward_code, lad_code, measure, rank_2019, rank_2025, rank_2019_low, rank_2019_high,
       decile_2019, decile_2025, rank_change, exceeds_uncertainty, direction, n_wards
FROM ward_change
WHERE measure = $measure
ORDER BY ward_code;
