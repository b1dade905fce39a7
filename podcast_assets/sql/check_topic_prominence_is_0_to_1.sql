-- prominence is within 0-1 and mentions is not negative.
-- asset: topics
SELECT episode_id, topic, prominence, mentions FROM topics WHERE prominence NOT BETWEEN 0 AND 1 OR mentions < 0
