-- No quote ends before it starts.
-- asset: quotes
SELECT episode_id, start_seconds, end_seconds FROM quotes WHERE end_seconds < start_seconds
