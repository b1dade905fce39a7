-- episode_id, episode_key, source_format and content_sha256 are set.
-- asset: episodes
SELECT episode_id FROM episodes WHERE episode_key IS NULL OR source_format IS NULL OR content_sha256 IS NULL
