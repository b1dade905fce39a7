-- No partition has the same quote text from the same source twice.
-- asset: quotes
SELECT episode_id, source, left(text, 60), count(*) FROM quotes GROUP BY episode_id, source, text HAVING count(*) > 1
