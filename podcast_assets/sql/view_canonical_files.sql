-- One row per distinct file content: its canonical copy (the first ingested) and the
-- episode it belongs to. A renamed copy of a file adds nothing to the analysis views.
SELECT episode_id, episode_key, source_format
FROM episodes
QUALIFY row_number() OVER (
    PARTITION BY episode_key, content_sha256 ORDER BY ingested_at, episode_id
) = 1
