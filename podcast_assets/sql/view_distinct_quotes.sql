-- One row per distinct quote of an episode (episode_key): copies with the same words
-- (ignoring case, punctuation and a leading "so"/"and"/"um") kept once, best-scored first;
-- a quote whose words lie inside another's dropped for the longer one.
WITH quote_copies AS (
    SELECT q.*, c.episode_key,
        regexp_replace(
            trim(regexp_replace(
                regexp_replace(lower(q.text), '[\p{P}\p{S}]', '', 'g'),
                '\s+', ' ', 'g'
            )),
            '^((so|and|but|um|uh|well|yeah|okay|oh) )+', ''
        ) AS norm_text
    FROM quotes q JOIN canonical_files c USING (episode_id)
),
exact_quotes AS (
    SELECT * FROM quote_copies
    QUALIFY row_number() OVER (
        PARTITION BY episode_key, norm_text
        ORDER BY relevance_score DESC NULLS LAST, start_seconds NULLS LAST, episode_id,
            char_start NULLS LAST, text
    ) = 1
),
distinct_quotes AS (
    SELECT a.* FROM exact_quotes a
    WHERE NOT EXISTS (
        SELECT 1 FROM exact_quotes b
        WHERE b.episode_key = a.episode_key
            AND length(b.norm_text) > length(a.norm_text)
            AND contains(b.norm_text, a.norm_text)
    )
)
SELECT * FROM distinct_quotes
