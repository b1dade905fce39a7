-- One row per topic and quote tagged with it, with the topic's prominence there.
WITH topic_prominence AS (
    SELECT c.episode_key, t.topic, max(t.prominence) AS prominence
    FROM topics t JOIN canonical_files c USING (episode_id)
    GROUP BY ALL
),
tagged AS (
    SELECT q.*, unnest(list_distinct(q.topics)) AS topic
    FROM distinct_quotes q
)
SELECT
    q.topic,
    tp.prominence AS topic_prominence,
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
    q.episode_id
FROM tagged q
JOIN episode_catalog cat USING (episode_key)
LEFT JOIN topic_prominence tp USING (episode_key, topic)
WHERE q.topic IS NOT NULL
ORDER BY q.topic, q.relevance_score DESC NULLS LAST, q.episode_key, q.start_seconds
