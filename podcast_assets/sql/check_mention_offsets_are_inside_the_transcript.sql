-- Mentions with offsets (every source's: spacy, gazetteer, proper_noun, metadata_name, and any
-- added later) lie within their episode's transcript, in the segment they name, with both
-- offsets and the segment given. Rows without any (a speaker's or a listed person's, which are
-- episode-level) are not checked, nor the analyser's, whose offsets are into its own text.
-- asset: mentions
WITH transcript AS (
    SELECT episode_id, sum(length(text)) + count(*) - 1 AS chars FROM segments GROUP BY 1
)
SELECT m.episode_id, m.entity, m.source, m.char_start, m.char_end
FROM mentions m
LEFT JOIN transcript t USING (episode_id)
LEFT JOIN segments s ON s.episode_id = m.episode_id AND s.seq = m.segment_seq
WHERE m.source NOT IN ('analyzer', 'analyzer_llm')
  AND (m.char_start IS NOT NULL OR m.char_end IS NOT NULL OR m.segment_seq IS NOT NULL)
  AND (t.chars IS NULL OR m.char_start IS NULL OR m.char_end IS NULL
       OR m.char_start < 0 OR m.char_end <= m.char_start
       OR m.char_end > t.chars OR s.seq IS NULL
       OR m.char_start < s.char_start OR m.char_start > s.char_start + length(s.text))
