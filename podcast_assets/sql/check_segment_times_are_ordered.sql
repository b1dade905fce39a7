-- No segment ends before it starts.
-- asset: segments
SELECT episode_id, seq FROM segments WHERE end_seconds < start_seconds
