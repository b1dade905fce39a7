-- One row per canonical entity: in how many episodes and how often it is mentioned, when it was
-- first and last seen, and by which extractors.
WITH per_file AS (
    SELECT m.episode_id, c.episode_key, m.entity, count(*) AS n,
        list(DISTINCT m.source) AS sources
    FROM resolved_mentions m JOIN canonical_files c USING (episode_id)
    GROUP BY ALL
),
per_episode AS (
    SELECT episode_key, entity, max(n) AS mentions,
        list_distinct(flatten(list(sources))) AS sources
    FROM per_file
    GROUP BY ALL
),
label_votes AS (
    SELECT m.entity, m.label, count(*) AS votes
    FROM resolved_mentions m JOIN canonical_files c USING (episode_id)
    GROUP BY ALL
),
category_votes AS (
    SELECT m.entity, m.category, count(*) AS votes
    FROM resolved_mentions m JOIN canonical_files c USING (episode_id)
    WHERE m.category IS NOT NULL
    GROUP BY ALL
),
labels AS (
    -- the most frequent label and category; ties go to the first alphabetically,
    -- so the answer never depends on row order (grouped counts, not window
    -- functions over every mention: half the query's time at 216,607 mentions)
    SELECT entity, l.label, cv.category
    FROM (
        SELECT entity, first(label ORDER BY label IS NULL, votes DESC, label) AS label
        FROM label_votes GROUP BY entity
    ) l
    LEFT JOIN (
        SELECT entity, first(category ORDER BY votes DESC, category) AS category
        FROM category_votes GROUP BY entity
    ) cv USING (entity)
)
SELECT
    e.entity,
    l.label,
    l.category,
    count(*)::INTEGER AS episodes,
    sum(e.mentions)::INTEGER AS mentions,
    min(coalesce(cat.published_at, cat.first_ingested_at)) AS first_seen,
    max(coalesce(cat.published_at, cat.first_ingested_at)) AS last_seen,
    list_sort(list_distinct(flatten(list(e.sources)))) AS sources,
    list_sort(list_distinct(list(cat.show_name))) AS shows,
    list(e.episode_key ORDER BY coalesce(cat.published_at, cat.first_ingested_at), e.episode_key) AS episode_keys
FROM per_episode e
JOIN episode_catalog cat USING (episode_key)
JOIN labels l USING (entity)
GROUP BY e.entity, l.label, l.category
ORDER BY mentions DESC, episodes DESC, e.entity
