-- asset: quotes
-- No partition has the same quote text from the same source twice.
SELECT episode_id, source, left(text, 60), count(*) FROM quotes GROUP BY episode_id, source, text HAVING count(*) > 1
