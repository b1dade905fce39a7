-- One row per search passage (see `search.SEARCH_PASSAGES`), from the transcripts of record.
-- Segments of each transcript of record, numbered within speaker turns; segment r of a turn of
-- n goes to window r // STRIDE and, when it opens that window, to the one before too.
-- Parameters: $stride, segments from one passage's first to the next one's; $only, the episode
-- ids to build passages for (NULL: every transcript of record).
WITH audio AS (
    SELECT e.episode_key, first(f.enclosure_url ORDER BY e.episode_id) AS enclosure_url
    FROM episodes e JOIN feed_items f ON f.guid = e.feed_guid
    WHERE f.enclosure_url IS NOT NULL GROUP BY e.episode_key
), record AS (
    SELECT c.record_episode_id AS episode_id, c.episode_key, e.language, c.show_name, c.title,
        c.published_at, a.enclosure_url, e.ingested_at,
        coalesce(lower(e.language) LIKE 'en%', false) AS english
    FROM episode_catalog c JOIN episodes e ON e.episode_id = c.record_episode_id
    LEFT JOIN audio a ON a.episode_key = c.episode_key
    WHERE $only::VARCHAR[] IS NULL OR list_contains($only::VARCHAR[], c.record_episode_id)
), turns AS (
    SELECT *, sum(changed::INTEGER) OVER (PARTITION BY episode_id ORDER BY seq) AS turn FROM (
        SELECT *, speaker IS DISTINCT FROM lag(speaker) OVER e AS changed FROM segments
        WHERE episode_id IN (SELECT episode_id FROM record)
        WINDOW e AS (PARTITION BY episode_id ORDER BY seq)
    )
), placed AS (
    SELECT *, row_number() OVER (PARTITION BY episode_id, turn ORDER BY seq) - 1 AS r,
        count(*) OVER (PARTITION BY episode_id, turn) AS n, $stride::INTEGER AS s
    FROM turns
), windows AS (
    SELECT episode_id, min(seq) AS first_seq, max(seq) AS last_seq,
        first(start_seconds ORDER BY seq) AS start_seconds, any_value(speaker) AS speaker,
        string_agg(text, chr(10) ORDER BY seq) AS text
    FROM (
        SELECT *, unnest(list_filter([r // s, r // s - 1],
            lambda k: k >= 0 AND r - k * s <= s AND (k = 0 OR k * s < n - 1))) AS k
        FROM placed
    )
    GROUP BY episode_id, turn, k
)
SELECT row_number() OVER (ORDER BY w.episode_id, w.first_seq) AS passage_id, w.*,
    r.* EXCLUDE (episode_id)
FROM windows w JOIN record r USING (episode_id)
