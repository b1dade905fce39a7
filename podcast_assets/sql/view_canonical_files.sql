-- One row per file the analysis views read: per episode, its transcript of record (timed with
-- speakers beats timed beats plain, then the first ingested) and its enriched page, whose
-- analyser data is a source of its own. A second format of the same transcript, or a
-- renamed copy, adds nothing to any count.
SELECT episode_id, episode_key, source_format
FROM episodes
QUALIFY row_number() OVER (
    PARTITION BY episode_key, source_format = 'enriched_page'
    ORDER BY coalesce(timed, false) DESC, coalesce(speaker_count, 0) > 0 DESC,
        ingested_at, episode_id
) = 1
