"""Asset checks, each named as the predicate it asserts, over the whole table.

The check bodies are SQL predicates on the warehouse: a check passes when its query finds
no offending rows, and reports a few of them when it does not.
"""

from collections.abc import Sequence

import dagster as dg

from podcast_assets.defs.resources import WarehouseResource

_SAMPLE = 5


def _violations(warehouse: WarehouseResource, sql: str) -> tuple[int, list[tuple[object, ...]]]:
    with warehouse.reader() as con:
        rows = con.execute(sql).fetchall()
    return len(rows), rows[:_SAMPLE]


def _result(
    count: int, sample: Sequence[tuple[object, ...]], severity: dg.AssetCheckSeverity
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=count == 0,
        severity=severity,
        metadata={
            "violations": dg.MetadataValue.int(count),
            "sample": dg.MetadataValue.json([[str(v) for v in row] for row in sample]),
        },
    )


def sql_check(
    asset: str,
    name: str,
    description: str,
    sql: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetChecksDefinition:
    """A check that passes when `sql` returns no rows."""

    @dg.asset_check(asset=asset, name=name, description=description, blocking=False)
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        count, sample = _violations(warehouse, sql)
        return _result(count, sample, severity)

    return _check


@dg.asset_check(
    asset="mentions",
    name="mention_entities_are_in_gazetteer",
    description="Warns about canonical entities the gazetteer does not know (candidates for "
    "`podcast-assets gazetteer suggest`); the analyser's crude first pass is not counted.",
    blocking=False,
)
def mention_entities_are_in_gazetteer(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from podcast_assets.extraction import load_gazetteer

    known = sorted(load_gazetteer().by_name)
    with warehouse.reader() as con:
        rows = con.execute(
            "SELECT entity, count(*) AS n FROM mentions WHERE source <> 'analyzer' "
            "AND NOT list_contains(?, entity) GROUP BY 1 ORDER BY 2 DESC, 1",
            [known],
        ).fetchall()
    return _result(len(rows), rows, dg.AssetCheckSeverity.WARN)


CHECKS: list[dg.AssetChecksDefinition] = [
    mention_entities_are_in_gazetteer,
    sql_check(
        "episodes",
        "episode_ids_are_unique",
        "No two rows share an episode_id.",
        "SELECT episode_id, count(*) FROM episodes GROUP BY 1 HAVING count(*) > 1",
    ),
    sql_check(
        "episodes",
        "keys_are_not_null",
        "episode_id, episode_key, source_format and content_sha256 are set.",
        "SELECT episode_id FROM episodes WHERE episode_key IS NULL OR source_format IS NULL "
        "OR content_sha256 IS NULL",
    ),
    sql_check(
        "segments",
        "segments_are_contiguous",
        "Each episode's segments are numbered 0..n-1 with no gap or duplicate.",
        "SELECT episode_id FROM segments GROUP BY 1 "
        "HAVING count(*) <> max(seq) + 1 OR count(DISTINCT seq) <> count(*)",
    ),
    sql_check(
        "segments",
        "segment_times_are_ordered",
        "No segment ends before it starts.",
        "SELECT episode_id, seq FROM segments WHERE end_seconds < start_seconds",
    ),
    sql_check(
        "mentions",
        "mention_keys_are_not_null",
        "episode_id, entity and source are set.",
        "SELECT episode_id, entity FROM mentions "
        "WHERE episode_id IS NULL OR entity IS NULL OR entity = '' OR source IS NULL",
    ),
    sql_check(
        "mentions",
        "mention_offsets_are_inside_the_transcript",
        "Transcript mentions (spacy, gazetteer) lie within their episode's transcript, in the "
        "segment they name. Analyser rows carry the analyser's own offsets and are not checked.",
        """
        WITH transcript AS (
            SELECT episode_id, sum(length(text)) + count(*) - 1 AS chars FROM segments GROUP BY 1
        )
        SELECT m.episode_id, m.entity, m.char_start, m.char_end
        FROM mentions m
        LEFT JOIN transcript t USING (episode_id)
        LEFT JOIN segments s ON s.episode_id = m.episode_id AND s.seq = m.segment_seq
        WHERE m.source IN ('spacy', 'gazetteer')
          AND (t.chars IS NULL OR m.char_start < 0 OR m.char_end <= m.char_start
               OR m.char_end > t.chars OR s.seq IS NULL
               OR m.char_start < s.char_start OR m.char_start > s.char_start + length(s.text))
        """,
    ),
    sql_check(
        "mentions",
        "mentions_are_unique",
        "No partition has the same mention (entity, surface, span, source) twice.",
        "SELECT episode_id, entity, surface, char_start, source, count(*) FROM mentions "
        "GROUP BY ALL HAVING count(*) > 1",
    ),
    sql_check(
        "quotes",
        "quote_keys_are_not_null",
        "episode_id, text and source are set.",
        "SELECT episode_id FROM quotes WHERE episode_id IS NULL OR text IS NULL OR text = '' "
        "OR source IS NULL",
    ),
    sql_check(
        "quotes",
        "quote_scores_are_1_to_10",
        "relevance_score is within 1-10 (NULL only for analyser insights, which have none).",
        "SELECT episode_id, relevance_score, source FROM quotes "
        "WHERE (relevance_score IS NULL AND source <> 'analyzer_insight') "
        "OR relevance_score NOT BETWEEN 1 AND 10",
    ),
    sql_check(
        "quotes",
        "quotes_are_unique",
        "No partition has the same quote text from the same source twice.",
        "SELECT episode_id, source, left(text, 60), count(*) FROM quotes "
        "GROUP BY episode_id, source, text HAVING count(*) > 1",
    ),
    sql_check(
        "quotes",
        "quote_times_are_ordered",
        "No quote ends before it starts.",
        "SELECT episode_id, start_seconds, end_seconds FROM quotes "
        "WHERE end_seconds < start_seconds",
    ),
    sql_check(
        "topics",
        "topic_keys_are_not_null",
        "episode_id, topic and source are set.",
        "SELECT episode_id FROM topics WHERE episode_id IS NULL OR topic IS NULL OR source IS NULL",
    ),
    sql_check(
        "topics",
        "topic_prominence_is_0_to_1",
        "prominence is within 0-1 and mentions is not negative.",
        "SELECT episode_id, topic, prominence, mentions FROM topics "
        "WHERE prominence NOT BETWEEN 0 AND 1 OR mentions < 0",
    ),
    sql_check(
        "topics",
        "topics_are_unique",
        "No partition lists the same topic from the same source twice.",
        "SELECT episode_id, topic, source, count(*) FROM topics GROUP BY ALL HAVING count(*) > 1",
    ),
]
