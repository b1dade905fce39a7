-- asset: episodes
-- No two rows share an episode_id.
SELECT episode_id, count(*) FROM episodes GROUP BY 1 HAVING count(*) > 1
