-- No two rows share an episode_id.
-- asset: episodes
SELECT episode_id, count(*) FROM episodes GROUP BY 1 HAVING count(*) > 1
