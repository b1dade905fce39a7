-- asset: segments
-- No segment ends before it starts.
SELECT episode_id, seq FROM segments WHERE end_seconds < start_seconds
