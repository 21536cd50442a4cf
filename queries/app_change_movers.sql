-- The wards of an area that moved most since IoD2019 for one measure: those whose 2025 rank
-- lies outside the 2019 rank's re-mapping range (exceeds_uncertainty), ordered by the size of
-- the move |rank_2019 - rank_2025|, largest first (ties: the more deprived in 2025 first).
-- $lad_codes: the LAs in view, or NULL for every ward; $n: at most this many rows.
SELECT ward_code, ward_name, lad_name, rank_2019, rank_2025, rank_2019_low, rank_2019_high,
       decile_2019, decile_2025, rank_change, direction, n_wards
FROM ward_change
WHERE measure = $measure
  AND exceeds_uncertainty
  AND ($lad_codes IS NULL OR list_contains($lad_codes, lad_code))
ORDER BY abs(rank_change) DESC, rank_2025, ward_code
LIMIT $n;
