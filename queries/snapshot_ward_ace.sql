-- The index columns a snapshot's ward table shows, for the wards $w.
SELECT ward_code, ace_rank_england, ace_decile_england, stab_rank_p05 AS lo, stab_rank_p95 AS hi,
       stab_share_same_class AS share, unstable AS flag, stability_band AS band,
       abuse_neglect_decile, household_dysfunction_decile, context_decile
FROM ward_ace
WHERE ward_code IN (SELECT unnest($w));
