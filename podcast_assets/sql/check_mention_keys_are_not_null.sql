-- episode_id, entity and source are set.
-- asset: mentions
SELECT episode_id, entity FROM mentions WHERE episode_id IS NULL OR entity IS NULL OR entity = '' OR source IS NULL
