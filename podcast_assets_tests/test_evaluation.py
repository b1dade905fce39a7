import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from podcast_assets.evaluation import (
    OVERALL,
    GoldError,
    GoldFile,
    Prediction,
    evaluate,
    format_report,
    is_junk,
    load_gold,
    match_key,
    report_as_dict,
    same_language,
)
from podcast_assets.models import ParsedEpisode
from podcast_assets.parsing import parse_bytes

REAL_GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold"

TRANSCRIPT = """WEBVTT

00:00:00.000 --> 00:00:05.000
<v Travis>Welcome to Buzzsprout's Podcasting Q&A, with Travis Albritton and Kevin Finn.

00:00:05.000 --> 00:00:09.000
<v Kevin>Today we talk about Apple Podcasts and Spotify, and a little about Nashville.
"""

GOLD: dict[str, object] = {
    "file": "ep.vtt",
    "source": "example/repo:ep.vtt",
    "show": "Podcasting Q&A",
    "language": "en",
    "topics": {"expected": ["podcasting"], "acceptable": ["Business"]},
    "entities": [
        {"name": "Travis Albritton", "label": "PERSON", "variants": ["Travis"]},
        {"name": "Kevin Finn", "label": "PERSON", "variants": ["Kevin"]},
        {"name": "Buzzsprout", "label": "ORG"},
        {"name": "Apple Podcasts", "label": "PRODUCT"},
        {"name": "Spotify", "label": "ORG"},
    ],
    "acceptable": ["Podcasting Q&A", "Nashville"],
}


def write_gold(root: Path, split: str, gold: dict[str, object], transcript: str) -> Path:
    for name in ("dev", "heldout"):
        (root / name).mkdir(parents=True, exist_ok=True)
    stem = Path(str(gold["file"])).stem
    (root / split / str(gold["file"])).write_text(transcript, encoding="utf-8")
    path = root / split / f"{stem}.gold.yaml"
    path.write_text(yaml.safe_dump(gold, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def gold(tmp_path: Path) -> list[GoldFile]:
    write_gold(tmp_path, "dev", GOLD, TRANSCRIPT)
    return load_gold(tmp_path)


def test_evaluation_load_gold_records_split_and_fields(gold: list[GoldFile]) -> None:
    [g] = gold
    assert (g.split, g.path.name, g.language) == ("dev", "ep.vtt", "en")
    assert g.entities[0].variants == ("Travis",)
    assert g.expected_topics == ("podcasting",) and g.acceptable == ("Podcasting Q&A", "Nashville")


def test_evaluation_precision_recall_f1(gold: list[GoldFile]) -> None:
    prediction = Prediction(
        "en",
        entities=[
            ("Travis Albritton", "PERSON"),
            ("Buzzsprout", "ORG"),
            ("Spotify", "PRODUCT"),
            ("Welcome", "ORG"),
        ],
    )
    report = evaluate(gold, lambda _path: prediction)
    [result] = report.files
    assert (result.correct_predictions, result.false_positives) == (3, ("Welcome",))
    assert result.missed == ("Kevin Finn", "Apple Podcasts")
    assert result.label_agreements == 2  # Spotify's label differs; labels are not required
    totals = report.totals["dev"]
    assert totals.precision == pytest.approx(3 / 4)
    assert totals.recall == pytest.approx(3 / 5)
    assert totals.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert report.totals["heldout"].files == 0 and report.totals["heldout"].precision is None
    assert report.totals[OVERALL] == totals


def test_evaluation_acceptable_is_neither_right_nor_wrong(gold: list[GoldFile]) -> None:
    prediction = Prediction("en", entities=[("Nashville", "GPE"), ("Buzzsprout", "ORG")])
    [result] = evaluate(gold, lambda _path: prediction).files
    assert result.acceptable_predictions == ("Nashville",)
    assert (result.correct_predictions, result.false_positives) == (1, ())


def test_evaluation_variants_match_and_unmerged_variants_count_as_split(
    gold: list[GoldFile],
) -> None:
    prediction = Prediction(
        "en",
        entities=[
            ("Travis", "PERSON"),
            ("Travis Albritton", "PERSON"),
            ("travis", "PERSON"),  # same key as "Travis": one predicted name, not a split
            ("Kevin", "PERSON"),
        ],
    )
    report = evaluate(gold, lambda _path: prediction)
    [result] = report.files
    assert result.matched_entities == 2
    assert result.correct_predictions == 3
    assert result.split_entities == ("Travis Albritton",)
    assert report.totals["dev"].split_entities == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Buzzsprout's", "buzzsprout"),
        ("Arráiz Lucca", "arraiz lucca"),
        ("Travis, Albritton", "Travis Albritton"),
        ("Gartner\u2019s", "GARTNER"),
        ("7-Eleven", "7 eleven"),
        ("C#", "C sharp"),
        ("C++", "c plus plus"),
    ],
)
def test_evaluation_match_key_ignores_case_accents_possessive_punctuation(a: str, b: str) -> None:
    assert match_key(a) == match_key(b)


def test_evaluation_match_key_keeps_signs_that_are_said() -> None:
    assert len({match_key("C"), match_key("C#"), match_key("C++")}) == 3


@pytest.mark.parametrize(
    ("name", "language", "junk"),
    [
        ("So Travis", "en", True),
        ("Chelsea Yeah", "en", True),
        ("node", "en", True),
        ("2016", "en", True),
        ("Welcome", "en", False),  # wrong, but not junk: a capitalised word without glue
        ("US", "en", False),  # an acronym is not the pronoun "us"
        ("Bank of America", "en", False),  # function words inside a name are fine
        ("el Ávila", "es", True),
        ("Genau Thomas", "de", True),
        ("Genau Thomas", "en", False),
    ],
)
def test_evaluation_junk_rule(name: str, language: str, junk: bool) -> None:
    assert is_junk(name, language) is junk


def test_evaluation_junk_is_counted_among_false_positives_only(gold: list[GoldFile]) -> None:
    prediction = Prediction(
        "en", entities=[("So Kevin", "PERSON"), ("spotify", "ORG"), ("Hello World", "ORG")]
    )
    report = evaluate(gold, lambda _path: prediction)
    [result] = report.files
    assert result.false_positives == ("So Kevin", "Hello World")
    assert result.junk == ("So Kevin",)
    assert report.totals["dev"].junk == 1


def test_evaluation_topic_agreement_off_domain_and_keyphrases(gold: list[GoldFile]) -> None:
    prediction = Prediction(
        "en",
        topics=[
            ("Podcasting", "taxonomy"),
            ("investment", "taxonomy"),
            ("hardware and chips", "taxonomy"),
            ("rookie mistakes", "keyphrase"),
        ],
    )
    [result] = evaluate(gold, lambda _path: prediction).files
    assert result.topic_agreement
    assert result.off_domain_topics == ("investment", "hardware and chips")
    assert result.keyphrases == 1
    # With the taxonomy's categories, a topic of an acceptable category is not off-domain.
    categories = {"investment": "Business", "hardware and chips": "Technology"}
    [result] = evaluate(gold, lambda _path: prediction, categories).files
    assert result.off_domain_topics == ("hardware and chips",)


def test_evaluation_topic_agreement_needs_a_taxonomy_topic(gold: list[GoldFile]) -> None:
    prediction = Prediction("en", topics=[("podcasting", "keyphrase"), ("Business", "taxonomy")])
    report = evaluate(gold, lambda _path: prediction)
    assert not report.files[0].topic_agreement and report.files[0].off_domain_topics == ()
    assert report.totals["dev"].topic_agreements == 0


def test_evaluation_unknown_topic_source_is_refused(gold: list[GoldFile]) -> None:
    with pytest.raises(ValueError, match=re.escape("ep.vtt: unknown topic sources")):
        evaluate(gold, lambda _path: Prediction("en", topics=[("podcasting", "analyzer")]))


@pytest.mark.parametrize(
    ("predicted", "gold_language", "correct"),
    [("en", "en", True), ("es", "es-VE", True), ("EN-us", "en", True), ("de", "en", False)],
)
def test_evaluation_same_language(predicted: str, gold_language: str, correct: bool) -> None:
    assert same_language(predicted, gold_language) is correct


def test_evaluation_language_totals(gold: list[GoldFile]) -> None:
    report = evaluate(gold, lambda _path: Prediction(None))
    assert not report.files[0].language_correct
    assert report.totals["dev"].languages_correct == 0
    report = evaluate(gold, lambda _path: Prediction("en-GB"))
    assert report.totals[OVERALL].languages_correct == 1


def test_evaluation_report_formats(gold: list[GoldFile]) -> None:
    prediction = Prediction(
        "de", entities=[("Buzzsprout", "ORG"), ("So Kevin", None)], topics=[("x", "taxonomy")]
    )
    report = evaluate(gold, lambda _path: prediction)
    text = format_report(report)
    assert "ep.vtt" in text and "TOTAL (1 files, NER on 1)" in text and "de (want en)" in text
    assert "junk: So Kevin" in text and "off-domain topics: x" in text
    data = json.loads(json.dumps(report_as_dict(report)))
    assert data["files"][0]["false_positives"] == ["So Kevin"]
    assert data["files"][0]["precision"] == 0.5
    assert data["totals"]["dev"]["recall"] == pytest.approx(0.2)
    assert data["totals"]["heldout"]["f1"] is None


def test_evaluation_counts_gold_names_the_text_writes_with_a_capital(
    gold: list[GoldFile],
) -> None:
    """`cap`: the recall of a reader of capitals alone; a name the text writes only in lower
    case ("buzzsprout", "spotify") needs one who knows it."""
    text = TRANSCRIPT.replace("Buzzsprout's", "buzzsprout's").replace("Spotify", "spotify")
    report = evaluate(gold, lambda _path: Prediction("en", text=text))
    assert report.files[0].capitalised_entities == 3  # Travis, Kevin, Apple Podcasts
    assert report.totals["dev"].capitalised_share == pytest.approx(3 / 5)
    assert "3/5" in format_report(report)
    assert report_as_dict(report)["totals"]["dev"]["capitalised_share"] == pytest.approx(0.6)
    # Whole words, as written, any white space between them.
    text = "Apple\nPodcasts and Spotifyish, Kevin\u2019s show"
    report = evaluate(gold, lambda _path: Prediction("en", text=text))
    assert report.files[0].capitalised_entities == 2  # Apple Podcasts, Kevin


def _broken(**changes: object) -> dict[str, object]:
    return {**GOLD, **changes}


@pytest.mark.parametrize(
    ("gold", "message"),
    [
        (_broken(file="other.vtt"), "must have the gold file's stem"),
        (_broken(show=""), "show must be a non-empty string"),
        (_broken(colour="red"), "unknown keys \\['colour'\\]"),
        (_broken(topics={"expected": []}), "topics.expected needs at least one topic"),
        (_broken(topics=["podcasting"]), "topics must be a mapping"),
        (_broken(entities=[{"name": "Lotus", "variants": ["Lotus 1", 2, 3]}]), "quote names"),
        (_broken(entities=[{"name": "Kevin", "varients": ["Kev"]}]), "unknown keys"),
        (_broken(entities=[{"label": "ORG"}]), "entities\\[0\\].name"),
        (
            _broken(entities=[{"name": "Kevin"}, {"name": "Kevin Finn", "variants": ["kevin"]}]),
            "share the key 'kevin'",
        ),
        (_broken(acceptable=["Buzzsprout"]), "acceptable 'Buzzsprout' is also the entity"),
    ],
)
def test_evaluation_malformed_gold_names_the_file(
    tmp_path: Path, gold: dict[str, object], message: str
) -> None:
    path = write_gold(tmp_path, "heldout", gold, TRANSCRIPT)
    if gold["file"] != GOLD["file"]:
        (tmp_path / "heldout" / str(gold["file"])).write_text(TRANSCRIPT, encoding="utf-8")
        path.rename(tmp_path / "heldout" / "ep.gold.yaml")
        path = tmp_path / "heldout" / "ep.gold.yaml"
    with pytest.raises(GoldError, match=message) as error:
        load_gold(tmp_path)
    assert str(path) in str(error.value)


def test_evaluation_malformed_gold_files(tmp_path: Path) -> None:
    path = write_gold(tmp_path, "dev", GOLD, TRANSCRIPT)
    (tmp_path / "dev" / "ep.vtt").unlink()
    with pytest.raises(GoldError, match=f"{re.escape(str(path))}: transcript 'ep.vtt' does not"):
        load_gold(tmp_path)
    path.write_text("file: [unclosed", encoding="utf-8")
    with pytest.raises(GoldError, match="not valid YAML"):
        load_gold(tmp_path)
    path.unlink()
    with pytest.raises(GoldError, match=re.escape("no .gold.yaml files")):
        load_gold(tmp_path)
    (tmp_path / "heldout").rmdir()
    with pytest.raises(GoldError, match="missing gold split directory"):
        load_gold(tmp_path)


def _words(text: str) -> str:
    """Text as space-separated casefolded words without accents, for whole-word search."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " " + " ".join(re.sub(r"[\W_]+", " ", plain).split()) + " "


def test_evaluation_real_gold_is_well_formed() -> None:
    gold = load_gold(REAL_GOLD)
    assert {g.split for g in gold} == {"dev", "heldout"}
    assert len({g.show for g in gold}) >= 4
    assert len({g.path.suffix for g in gold}) >= 2
    assert any(g.language.split("-")[0] != "en" for g in gold if g.split == "heldout")
    for g in gold:
        parsed = parse_bytes(g.path.read_bytes(), g.path.name)
        assert isinstance(parsed, ParsedEpisode) and parsed.segments, g.path.name
        speakers = " ".join(s.speaker for s in parsed.segments if s.speaker)
        text = _words(f"{parsed.transcript} {speakers}")
        absent = [
            e.name for e in g.entities if not any(_words(n) in text for n in (e.name, *e.variants))
        ]
        assert not absent, f"{g.gold_path.name}: not in the transcript: {absent}"


def test_evaluation_files_without_ner_or_taxonomy_stay_out_of_those_totals(
    tmp_path: Path,
) -> None:
    write_gold(tmp_path, "dev", GOLD, TRANSCRIPT)
    write_gold(tmp_path, "heldout", {**GOLD, "file": "es.vtt", "language": "es"}, TRANSCRIPT)
    gold = load_gold(tmp_path)

    def predict(path: Path) -> Prediction:
        if path.name == "es.vtt":  # gazetteer only: one junk name, nothing else
            return Prediction("es", [("el Spotify", "ORG")], ner=False, taxonomy=False)
        return Prediction("en", [(e.name, e.label) for e in gold[0].entities])

    totals = evaluate(gold, predict).totals[OVERALL]
    assert (totals.files, totals.ner_files, totals.taxonomy_files) == (2, 1, 1)
    assert totals.recall == 1.0 and totals.precision == 1.0
    assert totals.junk == 1  # junk counts wherever it comes from
