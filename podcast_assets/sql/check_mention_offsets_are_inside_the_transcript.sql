-- Transcript mentions (spacy, gazetteer) lie within their episode's transcript, in the segment
-- they name. Analyser rows carry the analyser's own offsets and are not checked.
-- asset: mentions
WITH transcript AS (
    SELECT episode_id, sum(length(text)) + count(*) - 1 AS chars FROM segments GROUP BY 1
)
SELECT m.episode_id, m.entity, m.char_start, m.char_end
FROM mentions m
LEFT JOIN transcript t USING (episode_id)
LEFT JOIN segments s ON s.episode_id = m.episode_id AND s.seq = m.segment_seq
WHERE m.source IN ('spacy', 'gazetteer')
  AND (t.chars IS NULL OR m.char_start < 0 OR m.char_end <= m.char_start
       OR m.char_end > t.chars OR s.seq IS NULL
       OR m.char_start < s.char_start OR m.char_start > s.char_start + length(s.text))
