-- One row per topic and month: how many episodes touched the topic that month, with how many
-- keyword matches and how prominently.
WITH per_episode AS (
    SELECT c.episode_key, t.topic, max(t.mentions) AS mentions,
        max(t.prominence) AS prominence, list(DISTINCT t.source) AS sources
    FROM topics t JOIN canonical_files c USING (episode_id)
    GROUP BY ALL
)
SELECT
    t.topic,
    date_trunc('month', coalesce(cat.published_at, cat.first_ingested_at) AT TIME ZONE 'UTC')::DATE AS month,
    count(*)::INTEGER AS episodes,
    sum(t.mentions)::INTEGER AS mentions,
    round(avg(t.prominence), 3) AS avg_prominence,
    max(t.prominence) AS max_prominence,
    count(*) FILTER (WHERE cat.published_at IS NULL)::INTEGER AS undated_episodes,
    list_sort(list_distinct(flatten(list(t.sources)))) AS sources,
    list(t.episode_key ORDER BY t.prominence DESC, t.episode_key) AS episode_keys
FROM per_episode t
JOIN episode_catalog cat USING (episode_key)
GROUP BY ALL
ORDER BY month, mentions DESC, t.topic
