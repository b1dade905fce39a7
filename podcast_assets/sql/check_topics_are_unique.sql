-- No partition lists the same topic from the same source twice.
-- asset: topics
SELECT episode_id, topic, source, count(*) FROM topics GROUP BY ALL HAVING count(*) > 1
