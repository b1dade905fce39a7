-- episode_id, topic and source are set.
-- asset: topics
SELECT episode_id FROM topics WHERE episode_id IS NULL OR topic IS NULL OR source IS NULL
