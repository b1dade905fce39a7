"""Analysis views over the warehouse tables, created with the schema.

Views are plain SQL over the tables in `schema.py`; they hold no data, so they are always as
consistent as the tables they read (a reader sees every partition's old rows or its new ones).

Deduplication rules, shared by every view:

- Files with the same content (`episode_key`, `content_sha256`) are one file: only the first
  ingested (its *canonical* copy) is read, so a copy under a second name adds nothing.
- Files of one episode with different content (an enriched page and a transcript of it) are
  two views of the same audio: counts per episode take the larger of the files' counts instead
  of their sum, and quotes with the same normalized text are kept once.
- Episodes are counted as distinct `episode_key`s, never as files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class View:
    name: str
    grain: str  # what one row is: the view's COMMENT, the README line and `sql --schema`
    sql: str
    columns: tuple[tuple[str, str], ...] = ()  # (column, meaning): COMMENT ON COLUMN


# The canonical copy of each distinct file content, with the episode it belongs to.
_CANONICAL = """
    canonical AS (
        SELECT episode_id, episode_key, source_format
        FROM episodes
        QUALIFY row_number() OVER (
            PARTITION BY episode_key, content_sha256 ORDER BY ingested_at, episode_id
        ) = 1
    )"""

# When an episode happened: its publication time, else when we first saw it.
_SEEN_AT = "coalesce(cat.published_at, cat.first_ingested_at)"

# Quotes of canonical files, once per episode. Two copies are one quote when their words are
# the same (ignoring case, punctuation and a leading "so"/"and"/"um"), keeping the best-scored
# copy, or when one copy's words lie inside another's (a transcript sentence the analyser
# quoted at more length), keeping the longer.
_DISTINCT_QUOTES = (
    _CANONICAL
    + """,
    quote_copies AS (
        SELECT q.*, c.episode_key,
            regexp_replace(
                trim(regexp_replace(
                    regexp_replace(lower(q.text), '[\\p{P}\\p{S}]', '', 'g'),
                    '\\s+', ' ', 'g'
                )),
                '^((so|and|but|um|uh|well|yeah|okay|oh) )+', ''
            ) AS norm_text
        FROM quotes q JOIN canonical c USING (episode_id)
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
    )"""
)

_QUOTE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("episode_key", "The episode (see `episode_catalog`)."),
    ("show_name", "Show name."),
    ("episode_number", "Episode number within the show, when known."),
    ("title", "Episode title, when known."),
    ("published_at", "Publication time, when known."),
    ("quote", "The quote, once per episode even when several files of it carry it."),
    ("relevance_score", "1-10; NULL for analyser insights."),
    ("speaker", "Speaker, when known."),
    ("start_seconds", "Where the quote starts in the audio, when timestamped."),
    ("source", "heuristic, analyzer, analyzer_llm or analyzer_insight."),
    ("impact_reason", "Why it matters."),
    ("episode_id", "The file (partition) the kept copy of the quote came from."),
)


VIEWS: tuple[View, ...] = (
    View(
        name="episode_catalog",
        grain=(
            "One row per episode (episode_key): files of the same episode merged, metadata "
            "from the enriched page, words from the transcript."
        ),
        sql="""
            WITH merged AS (
                SELECT
                    episode_key,
                    first(show_name ORDER BY is_page DESC, episode_id)
                        FILTER (WHERE show_name IS NOT NULL) AS show_name,
                    first(episode_number ORDER BY is_page DESC, episode_id)
                        FILTER (WHERE episode_number IS NOT NULL) AS episode_number,
                    first(title ORDER BY is_page DESC, episode_id)
                        FILTER (WHERE title IS NOT NULL) AS title,
                    min(published_at) AS published_at,
                    max(duration_seconds) AS duration_seconds,
                    max(word_count) AS word_count,
                    first(host ORDER BY is_page DESC, episode_id)
                        FILTER (WHERE host IS NOT NULL) AS host,
                    flatten(list(coalesce(guests, []) ORDER BY is_page DESC, episode_id))
                        AS all_guests,
                    first(summary ORDER BY episode_id) FILTER (WHERE summary IS NOT NULL)
                        AS summary,
                    list_sort(list_distinct(flatten(list(coalesce(tags, []))))) AS tags,
                    list(DISTINCT source_format ORDER BY source_format) AS source_formats,
                    list(episode_id ORDER BY episode_id) AS episode_ids,
                    list(source_file ORDER BY episode_id) AS source_files,
                    count(DISTINCT content_sha256)::INTEGER AS distinct_files,
                    min(ingested_at) AS first_ingested_at
                FROM (SELECT *, source_format = 'enriched_page' AS is_page FROM episodes)
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
                first_ingested_at
            FROM merged
            ORDER BY published_at NULLS LAST, episode_key
        """,
        columns=(
            (
                "episode_key",
                "The episode's identity across files: `<show-slug>:<number>`, else "
                "`sha256:<content prefix>`.",
            ),
            ("show_name", "Show name; the enriched page's when files disagree."),
            ("episode_number", "Episode number within the show, when known."),
            ("title", "Episode title (from the enriched page)."),
            ("published_at", "Publication time (from the enriched page)."),
            ("duration_seconds", "Longest duration any file of the episode states."),
            ("word_count", "Words in the episode's longest transcript; NULL without one."),
            ("host", "Host name; the enriched page's when files disagree."),
            (
                "guests",
                "Guest names from every file, sorted; spellings one letter apart are one guest "
                "(the enriched page's spelling wins).",
            ),
            ("summary", "The analyser's summary, when an enriched page exists."),
            ("tags", "The analyser's tags, sorted, without repeats."),
            ("source_formats", "Formats of the episode's files, e.g. [enriched_page, ...]."),
            ("episode_ids", "Every file (partition) of the episode, copies included."),
            ("source_files", "Their file names, in the same order as `episode_ids`."),
            ("distinct_files", "Files with distinct content (a renamed copy does not count)."),
            ("first_ingested_at", "When the first file of the episode was ingested."),
        ),
    ),
    View(
        name="entity_leaderboard",
        grain=(
            "One row per canonical entity: in how many episodes and how often it is mentioned, "
            "when it was first and last seen, and by which extractors."
        ),
        sql=f"""
            WITH {_CANONICAL.strip()},
            per_file AS (
                SELECT m.episode_id, c.episode_key, m.entity, count(*) AS n,
                    list(DISTINCT m.source) AS sources
                FROM mentions m JOIN canonical c USING (episode_id)
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
                FROM mentions m JOIN canonical c USING (episode_id)
                GROUP BY ALL
            ),
            category_votes AS (
                SELECT m.entity, m.category, count(*) AS votes
                FROM mentions m JOIN canonical c USING (episode_id)
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
                min({_SEEN_AT}) AS first_seen,
                max({_SEEN_AT}) AS last_seen,
                list_sort(list_distinct(flatten(list(e.sources)))) AS sources,
                list_sort(list_distinct(list(cat.show_name))) AS shows,
                list(e.episode_key ORDER BY {_SEEN_AT}, e.episode_key) AS episode_keys
            FROM per_episode e
            JOIN episode_catalog cat USING (episode_key)
            JOIN labels l USING (entity)
            GROUP BY e.entity, l.label, l.category
            ORDER BY mentions DESC, episodes DESC, e.entity
        """,
        columns=(
            ("entity", "Canonical entity name (gazetteer-resolved)."),
            ("label", "Most frequent entity type: PERSON, ORG, PRODUCT, ..."),
            ("category", "Most frequent domain category, when known."),
            ("episodes", "Distinct episodes (episode_key) that mention it."),
            (
                "mentions",
                "Mentions summed over episodes; per episode the larger count of its files, "
                "since an enriched page and a transcript of one episode describe the same audio.",
            ),
            ("first_seen", "Earliest episode time: published_at, else first ingested_at."),
            ("last_seen", "Latest episode time: published_at, else first ingested_at."),
            ("sources", "Extractors that found it: spacy, gazetteer, analyzer, analyzer_llm."),
            ("shows", "Shows whose episodes mention it."),
            ("episode_keys", "The episodes, oldest first."),
        ),
    ),
    View(
        name="topic_trends",
        grain=(
            "One row per topic and month: how many episodes touched the topic that month, "
            "with how many keyword matches and how prominently."
        ),
        sql=f"""
            WITH {_CANONICAL.strip()},
            per_episode AS (
                SELECT c.episode_key, t.topic, max(t.mentions) AS mentions,
                    max(t.prominence) AS prominence, list(DISTINCT t.source) AS sources
                FROM topics t JOIN canonical c USING (episode_id)
                GROUP BY ALL
            )
            SELECT
                t.topic,
                date_trunc('month', {_SEEN_AT} AT TIME ZONE 'UTC')::DATE AS month,
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
        """,
        columns=(
            ("topic", "Topic name."),
            (
                "month",
                "First day of the month (UTC) of the episodes' published_at, else of when they "
                "were first ingested (see `undated_episodes`).",
            ),
            ("episodes", "Distinct episodes that touched the topic that month."),
            (
                "mentions",
                "Keyword matches summed over those episodes (per episode, the larger count of "
                "its files).",
            ),
            ("avg_prominence", "Mean per-episode prominence (0-1)."),
            ("max_prominence", "Highest per-episode prominence (0-1)."),
            ("undated_episodes", "Episodes placed in the month by ingest time, not publication."),
            ("sources", "taxonomy and/or analyzer."),
            ("episode_keys", "The episodes, most prominent first."),
        ),
    ),
    View(
        name="quotes_by_entity",
        grain=(
            "One row per entity and quote that names it: the quote contains the entity's "
            "name or surface form as a word, or a mention of it lies inside the quote."
        ),
        sql=f"""
            WITH {_DISTINCT_QUOTES.strip()},
            episode_mentions AS (
                SELECT m.episode_id, c.episode_key, m.entity, m.surface, m.char_start
                FROM mentions m JOIN canonical c USING (episode_id)
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
                        q.text, '(^|\\W)' || regexp_escape(trim(n.name)) || '($|\\W)', 'i'
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
        """,
        columns=(
            ("entity", "Canonical entity name (as in `mentions.entity`)."),
            *_QUOTE_COLUMNS[:-1],
            (
                "matched_by",
                "position (a mention of the entity lies inside the quote) or text (the quote "
                "contains its name or a surface form of it as a word).",
            ),
            _QUOTE_COLUMNS[-1],
        ),
    ),
    View(
        name="quotes_by_topic",
        grain="One row per topic and quote tagged with it, with the topic's prominence there.",
        sql=f"""
            WITH {_DISTINCT_QUOTES.strip()},
            topic_prominence AS (
                SELECT c.episode_key, t.topic, max(t.prominence) AS prominence
                FROM topics t JOIN canonical c USING (episode_id)
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
        """,
        columns=(
            ("topic", "Topic name, from the quote's `topics`."),
            (
                "topic_prominence",
                "The topic's prominence (0-1) in that episode; NULL when `topics` has no row.",
            ),
            *_QUOTE_COLUMNS,
        ),
    ),
    View(
        name="episode_timeline",
        grain=(
            "One row per episode and minute of timestamped transcript: what was said then, "
            "the entities mentioned most and the best quote."
        ),
        sql=f"""
            WITH {_CANONICAL.strip()},
            timed AS (
                SELECT c.episode_key, s.episode_id, count(*) AS n
                FROM segments s JOIN canonical c USING (episode_id)
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
                    sum(len(regexp_split_to_array(trim(s.text), '\\s+')))::INTEGER AS words,
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
        """,
        columns=(
            ("episode_key", "The episode (see `episode_catalog`)."),
            ("minute", "0-based minute of the audio: floor(start_seconds / 60)."),
            ("clock", "The minute as h:mm:ss."),
            ("segments", "Transcript segments (cues) starting in the minute."),
            ("words", "Words in those segments."),
            ("speakers", "Speakers in the minute, when the format names them."),
            ("mentions", "Entity mentions in the minute."),
            ("top_entities", "Up to five entities mentioned most in the minute."),
            ("quotes", "Notable quotes starting in the minute."),
            ("top_quote", "The best-scored of them."),
            ("quote_topics", "Topics those quotes touch."),
            ("opening_text", "The minute's first 160 characters of transcript."),
            (
                "episode_id",
                "The file the timeline comes from: of an episode's timestamped files, the one "
                "with most timed segments (episodes without timestamps have no rows).",
            ),
        ),
    ),
)


def view_ddl() -> list[str]:
    """CREATE OR REPLACE and COMMENT statements for every view, in dependency order."""
    statements: list[str] = []
    for view in VIEWS:
        statements.append(f"CREATE OR REPLACE VIEW {view.name} AS {view.sql.strip()}")
        statements.append(f"COMMENT ON VIEW {view.name} IS {_literal(view.grain)}")
        statements.extend(
            f"COMMENT ON COLUMN {view.name}.{column} IS {_literal(meaning)}"
            for column, meaning in view.columns
        )
    return statements


def _literal(text: str) -> str:
    # DDL takes no parameters; these strings are our own constants, never user input.
    return "'" + text.replace("'", "''") + "'"
