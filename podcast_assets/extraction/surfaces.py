"""Cleaning of entity surfaces, shared by transcript NER, analyser rows and gazetteer suggestions.

ASR transcripts and the analyser's crude first pass both produce spans such as "So I",
"Like Soma" or "From Nvidia": a capitalised discourse word glued to a name. These helpers strip
such words and reject what is left when it is not a name, with plain string rules so the same
logic applies to a spaCy `Span` (token-wise, keeping offsets) and to a bare string.
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that open a span but are never part of a name: determiners, possessives, conjunctions,
# discourse markers and verbs the analyser glued to the next capitalised word ("Use SageMaker").
LEADING_WORDS: frozenset[str] = _wordset(
    """
    a an the this that these those our my your his her their its
    and but or so also then now like just even actually well oh okay ok yeah yes no hey hi hello
    um uh hmm right because since though although if when once what which who whom where why how
    from at in on of to for with by about into via as than
    use using call called say said thanks thank welcome whereas while
    dr mr mrs ms prof
    """
)

# Words that may close a span without belonging to it ("Manifernal Labs was"), and discourse
# words that speech glues to the name before them ("Metallica Okay", "Jira Yeah").
TRAILING_WORDS: frozenset[str] = _wordset(
    "was were is are be been 's \u2019s ' and or but so the a an of to for with "
    "yeah yes yep okay ok oh um uh hmm right well too also now"
)

PRONOUNS: frozenset[str] = _wordset(
    """
    i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves one someone
    somebody everyone everybody anyone anybody nobody
    """
)

_WS = re.compile(r"\s+")
_KEY = re.compile(r"[^0-9a-z]+")
# "+" and "#" closing a word are said, and tell names apart: "C++" is "C plus plus", not "C".
_SAID_SIGN = re.compile(r"(?<=\w)(\+\+|\+|#)(?!\w)")
_SAID = {"++": " plus plus", "+": " plus", "#": " sharp"}
_PARENS = re.compile(r"^(?P<head>[^()]*?)\s*\((?P<inner>[^()]*)\)\s*(?P<tail>.*)$")
_LETTER = re.compile(r"[A-Za-z]")
_ALNUM = re.compile(r"[A-Za-z0-9]")


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace (newlines between segments included) into one space."""
    return _WS.sub(" ", text).strip()


def match_key(text: str) -> str:
    """Case- and punctuation-insensitive key under which names and aliases are compared; a
    sign closing a word is spelled as it is said ("C#" and "C sharp" give "c sharp")."""
    return _KEY.sub(" ", said_signs(text).casefold()).strip()


def whole_words(name: str) -> str:
    """A regular expression for `name` as whole words, its words apart by any white space (a
    caption's line break too), as written."""
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in name.split()) + r"(?!\w)"


def said_signs(text: str) -> str:
    """ "+" and "#" closing a word, spelled out: "C++" -> "C plus plus", "Disney+" -> "Disney
    plus"; a sign between words ("Data + AI") is left alone."""
    return _SAID_SIGN.sub(lambda m: _SAID[m.group()], text)


def is_leading_word(word: str) -> bool:
    return word.casefold().strip(".") in LEADING_WORDS


def is_trailing_word(word: str) -> bool:
    return word.casefold() in TRAILING_WORDS


def strip_words(name: str) -> str:
    """Drop leading discourse words and trailing function words from a name string."""
    words = normalize_space(name).split(" ")
    while words and (is_leading_word(words[0]) or not _ALNUM.search(words[0])):
        words.pop(0)
    while words and (is_trailing_word(words[-1]) or not _ALNUM.search(words[-1])):
        words.pop()
    if words and words[-1].endswith(("'s", "\u2019s")):
        words[-1] = words[-1][:-2]
    return " ".join(words).strip(" ,.;:!?\"'")


def is_acronym(word: str) -> bool:
    """ "US", "IT": all capitals and longer than one letter, so not the pronoun or stop word."""
    return len(word) > 1 and word.isupper()


def is_pronoun(word: str) -> bool:
    return word.casefold() in PRONOUNS and not is_acronym(word)


def is_junk(name: str) -> bool:
    """True when a (stripped) name cannot be an entity: pronoun, number, stop words, too short."""
    words = [w.strip(".,") for w in name.split()]
    if not words or not _LETTER.search(name):
        return True
    if len(name.replace(" ", "")) < 2:
        return True
    if all(is_pronoun(w) for w in words):
        return True
    if all((w.casefold() in STOP_WORDS or is_leading_word(w)) and not is_acronym(w) for w in words):
        return True
    return all(re.fullmatch(r"[\d.,%$€£]+(s|st|nd|rd|th|k|m|bn)?", w.casefold()) for w in words)


def clean_name(name: str) -> str:
    """A name without parenthetical, leading discourse words or trailing function words.

    Returns "" when nothing name-like remains, so callers can tell junk from a name.
    """
    head, _ = split_parenthetical(name)
    cleaned = strip_words(head)
    return "" if is_junk(cleaned) else cleaned


def split_parenthetical(name: str) -> tuple[str, list[str]]:
    """Split "NKI (Neuron Kernel Interface)" into ("NKI", ["Neuron Kernel Interface"]).

    A parenthetical is kept as an alias only when it looks like another name for the same
    thing (capitalised words or an acronym); descriptive asides such as "(mentioned as a past
    guest)" or "(associated entity)" are dropped.
    """
    text = normalize_space(name)
    match = _PARENS.match(text)
    if not match:
        return text, []
    head = normalize_space(f"{match['head']} {match['tail']}")
    inner = normalize_space(match["inner"])
    if not head:
        return inner, []
    return head, [inner] if _looks_like_name(inner) else []


def _looks_like_name(text: str) -> bool:
    words = [w for w in text.split() if _LETTER.search(w)]
    if not words:
        return False
    content = [w for w in words if w.casefold() not in STOP_WORDS]
    return bool(content) and all(w[0].isupper() or w[0].isdigit() for w in content)
