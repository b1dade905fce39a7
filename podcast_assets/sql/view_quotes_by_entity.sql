-- One row per entity and quote that names it: the quote contains the entity's name or surface
-- form as a word, or a mention of it lies inside the quote.
WITH episode_mentions AS (
    SELECT m.episode_id, c.episode_key, m.entity, m.surface, m.char_start
    FROM resolved_mentions m JOIN canonical_files c USING (episode_id)
),
names AS (
    SELECT DISTINCT episode_key, entity, name
    FROM (
        SELECT episode_key, entity, entity AS name FROM episode_mentions
        UNION ALL
        SELECT episode_key, entity, surface FROM episode_mentions
    )
    WHERE length(trim(name)) >= 2
),
by_position AS (
    SELECT DISTINCT m.entity, q.episode_key, q.norm_text, 'position' AS matched_by
    FROM distinct_quotes q
    JOIN episode_mentions m
        ON m.episode_id = q.episode_id
        AND q.char_start IS NOT NULL AND m.char_start IS NOT NULL
        AND m.char_start >= q.char_start
        AND m.char_start < q.char_start + length(q.text)
),
by_text AS (
    SELECT DISTINCT n.entity, q.episode_key, q.norm_text, 'text' AS matched_by
    FROM distinct_quotes q
    JOIN names n USING (episode_key)
    -- the substring test is cheap and rules out most pairs before the regex
    WHERE contains(lower(q.text), lower(trim(n.name)))
        AND regexp_matches(
            q.text, '(^|\W)' || regexp_escape(trim(n.name)) || '($|\W)', 'i'
        )
),
links AS (
    SELECT entity, episode_key, norm_text, min(matched_by) AS matched_by
    FROM (SELECT * FROM by_position UNION ALL SELECT * FROM by_text)
    GROUP BY ALL
)
SELECT
    l.entity,
    q.episode_key,
    cat.show_name,
    cat.episode_number,
    cat.title,
    cat.published_at,
    q.text AS quote,
    q.relevance_score,
    q.speaker,
    q.start_seconds,
    q.source,
    q.impact_reason,
    l.matched_by,
    q.episode_id
FROM links l
JOIN distinct_quotes q USING (episode_key, norm_text)
JOIN episode_catalog cat USING (episode_key)
ORDER BY l.entity, q.relevance_score DESC NULLS LAST, q.episode_key, q.start_seconds
