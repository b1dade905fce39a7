-- One row per episode (episode_key): files of the same episode merged; metadata from the
-- show's feed first, then the enriched page, then the transcript's own words; the transcript of
-- record named (see canonical_files).
WITH merged AS (
    SELECT
        episode_key,
        first(show_name ORDER BY meta_rank, episode_id)
            FILTER (WHERE show_name IS NOT NULL) AS show_name,
        first(episode_number ORDER BY meta_rank, episode_id)
            FILTER (WHERE episode_number IS NOT NULL) AS episode_number,
        first(title ORDER BY meta_rank, episode_id)
            FILTER (WHERE title IS NOT NULL) AS title,
        min(published_at) AS published_at,
        max(duration_seconds) AS duration_seconds,
        max(word_count) AS word_count,
        first(host ORDER BY meta_rank, episode_id)
            FILTER (WHERE host IS NOT NULL) AS host,
        flatten(list(coalesce(guests, []) ORDER BY meta_rank, episode_id))
            AS all_guests,
        first(episode_id ORDER BY is_page, coalesce(timed, false) DESC,
            coalesce(speaker_count, 0) > 0 DESC, ingested_at, episode_id) AS record_episode_id,
        first(source_format ORDER BY is_page, coalesce(timed, false) DESC,
            coalesce(speaker_count, 0) > 0 DESC, ingested_at, episode_id) AS record_format,
        first(summary ORDER BY episode_id) FILTER (WHERE summary IS NOT NULL)
            AS summary,
        list_sort(list_distinct(flatten(list(coalesce(tags, []))))) AS tags,
        list(DISTINCT source_format ORDER BY source_format) AS source_formats,
        list(episode_id ORDER BY episode_id) AS episode_ids,
        list(source_file ORDER BY episode_id) AS source_files,
        count(DISTINCT content_sha256)::INTEGER AS distinct_files,
        min(ingested_at) AS first_ingested_at
    FROM (
        SELECT *, source_format = 'enriched_page' AS is_page,
            CASE metadata_source WHEN 'feed' THEN 0 WHEN 'front_matter' THEN 1 ELSE 2 END
                AS meta_rank
        FROM episodes
    )
    GROUP BY episode_key
)
SELECT
    episode_key, show_name, episode_number, title, published_at, duration_seconds,
    word_count, host,
    list_sort(list_filter(
        all_guests,
        lambda g, i: NOT coalesce(list_bool_or(list_transform(
            all_guests[1:i - 1], lambda h: levenshtein(lower(g), lower(h)) <= 1
        )), false)
    )) AS guests,
    summary, tags, source_formats, episode_ids, source_files, distinct_files,
    first_ingested_at, record_episode_id, record_format
FROM merged
ORDER BY published_at NULLS LAST, episode_key
