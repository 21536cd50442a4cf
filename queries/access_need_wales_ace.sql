-- Add the Welsh modelled ACE risk index (ward_ace_wales, ranked among Welsh wards only) to
-- ward_need_wales as need_measure 'welsh_ace', its decile and rank as the index gives them.
INSERT INTO ward_need_wales
SELECT ward_code, 'welsh_ace', welsh_ace_score::DOUBLE, welsh_ace_decile::INTEGER,
       welsh_ace_rank::BIGINT
FROM ward_ace_wales
WHERE welsh_ace_decile IS NOT NULL;
