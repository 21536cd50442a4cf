-- Add the modelled ACE risk index (issue 3's ward_ace) to ward_need as need_measure 'ace'.
INSERT INTO ward_need
SELECT ward_code, 'ace', ace_score::DOUBLE, ace_decile_england::INTEGER, ace_rank_england::BIGINT
FROM ward_ace
WHERE ace_decile_england IS NOT NULL;
