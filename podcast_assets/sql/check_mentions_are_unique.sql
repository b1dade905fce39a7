-- No partition has the same mention (entity, surface, span, source) twice.
-- asset: mentions
SELECT episode_id, entity, surface, char_start, source, count(*) FROM mentions GROUP BY ALL HAVING count(*) > 1
