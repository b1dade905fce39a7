-- episode_id, text and source are set.
-- asset: quotes
SELECT episode_id FROM quotes WHERE episode_id IS NULL OR text IS NULL OR text = '' OR source IS NULL
