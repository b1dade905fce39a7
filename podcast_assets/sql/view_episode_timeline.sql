-- One row per episode and minute of timestamped transcript: what was said then, the entities
-- mentioned most and the best quote.
WITH timed AS (
    SELECT c.episode_key, s.episode_id, count(*) AS n
    FROM segments s JOIN canonical_files c USING (episode_id)
    WHERE s.start_seconds IS NOT NULL
    GROUP BY ALL
),
chosen AS (
    SELECT episode_key, episode_id FROM timed
    QUALIFY row_number() OVER (PARTITION BY episode_key ORDER BY n DESC, episode_id)
        = 1
),
minutes AS (
    SELECT
        ch.episode_key, s.episode_id,
        floor(s.start_seconds / 60)::INTEGER AS minute,
        count(*)::INTEGER AS segments,
        sum(len(regexp_split_to_array(trim(s.text), '\s+')))::INTEGER AS words,
        list_sort(list_distinct(list(s.speaker))) AS speakers,
        left(string_agg(s.text, ' ' ORDER BY s.seq), 160) AS opening_text
    FROM segments s JOIN chosen ch USING (episode_id)
    WHERE s.start_seconds IS NOT NULL
    GROUP BY ALL
),
entity_counts AS (
    SELECT m.episode_id, floor(m.start_seconds / 60)::INTEGER AS minute,
        m.entity, count(*) AS n
    FROM mentions m JOIN chosen ch USING (episode_id)
    WHERE m.start_seconds IS NOT NULL
    GROUP BY ALL
),
entities AS (
    SELECT episode_id, minute, sum(n)::INTEGER AS mentions,
        list(entity ORDER BY n DESC, entity)[1:5] AS top_entities
    FROM entity_counts
    GROUP BY ALL
),
minute_quotes AS (
    SELECT q.episode_id, floor(q.start_seconds / 60)::INTEGER AS minute,
        count(*)::INTEGER AS quotes,
        first(
            q.text ORDER BY q.relevance_score DESC NULLS LAST, q.start_seconds, q.text
        ) AS top_quote,
        list_sort(list_distinct(flatten(list(coalesce(q.topics, []))))) AS topics
    FROM quotes q JOIN chosen ch USING (episode_id)
    WHERE q.start_seconds IS NOT NULL
    GROUP BY ALL
)
SELECT
    m.episode_key,
    m.minute,
    printf('%d:%02d:00', m.minute // 60, m.minute % 60) AS clock,
    m.segments,
    m.words,
    m.speakers,
    coalesce(e.mentions, 0) AS mentions,
    coalesce(e.top_entities, []) AS top_entities,
    coalesce(q.quotes, 0) AS quotes,
    q.top_quote,
    coalesce(q.topics, []) AS quote_topics,
    m.opening_text,
    m.episode_id
FROM minutes m
LEFT JOIN entities e USING (episode_id, minute)
LEFT JOIN minute_quotes q USING (episode_id, minute)
ORDER BY m.episode_key, m.minute
