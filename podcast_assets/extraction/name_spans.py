"""Where a name ends: not inside a word, and not before the number that is part of it.

The tokenizer splits "Lotus 1-2-3", "Pac-Man" and "7-Eleven" at their hyphens, and the small
model then tags pieces of them ("Lotus" ORG and "1-2-3" PRODUCT, or "Lotus 1" when speech
renders the name as "Lotus 1, 2, 3"). A name never ends inside a word written without
spaces (its capitalised or numbered pieces: a lower-case piece is a modifier, "multi-GPU"), a
product's number ("Commodore 64", even across a caption's line break) belongs to it, and a
count read out after a name ("Lotus 1, 2, 3") is how a hyphenated number is said. A number
the model tags as part of something else ("2 years") stays apart.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span, Token

from podcast_assets.extraction.surfaces import is_leading_word, is_trailing_word

_NUMBER = re.compile(r"\d+(?:[.-]\d+)*")
_HYPHENS = frozenset("-\u2010\u2011\u2013")
# What the model may have tagged a number as when it follows a name found by its capitals:
# nothing, a number or time, or a name (no entity means "").
NUMBER_LABELS = frozenset(
    {"", "CARDINAL", "ORDINAL", "DATE", "TIME", "QUANTITY", "PRODUCT", "ORG", "WORK_OF_ART"}
)
MIN_COUNTED = 3  # "1, 2, 3": a count needs three numbers to read as one name
# Languages that capitalise every noun: capitals say nothing about names there.
NOUNS_CAPITALISED = frozenset({"de", "lb"})
# What may come before a word that opens a sentence or a quotation.
SENTENCE_END = frozenset('.?!:;"“”()[]…')
# Capitalised words a model's name may gain on each side ("JavaScript" + "Jabber").
MAX_TITLED_NEIGHBOURS = 2
# A word as names write it: letters and digits, joined by . ' & - ("Node.js", "C++", "C#").
NAME_WORD = re.compile(r"[^\W_]+(?:[.'\u2019&-][^\W_]+)*[+#]*")


def is_number(token: Token) -> bool:
    return _NUMBER.fullmatch(token.text) is not None


def _joins(token: Token) -> bool:
    """A piece that belongs to the name it is glued to: capitalised or a number ("Pac-Man",
    "1-2-3"); a lower-case piece is a modifier ("multi-GPU", "GPU-based")."""
    return (token.is_alpha and token.text[0].isupper()) or is_number(token)


def whole_word_end(doc: Doc, end: int) -> int:
    """`end` moved past the rest of a word written without spaces: "Pac" -> "Pac-Man",
    "Lotus 1" -> "Lotus 1-2-3" (the pieces that `_joins`, and the hyphens between them)."""
    n = len(doc)
    while end < n and not doc[end - 1].whitespace_:
        token = doc[end]
        if token.text in _HYPHENS and end + 1 < n and not token.whitespace_:
            if not _joins(doc[end + 1]):
                break
            end += 2
        elif _joins(token):
            end += 1
        else:
            break
    return end


def counted_end(doc: Doc, end: int) -> int:
    """`end` moved past a count read out after a name that ends in a number: "Lotus 1, 2, 3"
    (at least MIN_COUNTED numbers, each one more than the last)."""
    last = doc[end - 1].text if end > 0 else ""
    if not last.isdigit():
        return end
    count, value, i = 1, int(last), end
    while i + 1 < len(doc) and doc[i].text in {",", *_HYPHENS} and doc[i + 1].text.isdigit():
        if int(doc[i + 1].text) != value + 1:
            break
        count, value, i = count + 1, value + 1, i + 2
    return i if count >= MIN_COUNTED else end


def numbered_end(doc: Doc, end: int, labels: frozenset[str] = NUMBER_LABELS) -> int:
    """`end` moved past a number written after the name ("Commodore 64") that the model
    tagged with one of `labels` alone (not "2" of "2 years"), then past a count."""
    at = end
    if at + 1 < len(doc) and doc[at].text == "\n" and not doc[at - 1].whitespace_:
        at += 1  # a caption's line break: "Commodor\n64"
    elif doc[end - 1].whitespace_ != " ":
        return counted_end(doc, end)
    if at < len(doc) and is_number(doc[at]):
        stop = whole_word_end(doc, at + 1)
        if _tagged_alone(doc, at, stop, labels):
            end = stop
    return counted_end(doc, end)


def _tagged_alone(doc: Doc, start: int, stop: int, labels: frozenset[str]) -> bool:
    """Whether tokens [start, stop) are outside any entity or are one whole entity of
    `labels`."""
    first = doc[start]
    if first.ent_iob_ in ("", "O"):
        return "" in labels
    return (
        first.ent_iob_ == "B"
        and first.ent_type_ in labels
        and (stop >= len(doc) or doc[stop].ent_iob_ != "I")
    )


def whole_word_start(doc: Doc, start: int) -> int:
    """`start` moved back to the start of its word: "Harris" -> "Garrett-Harris"."""
    while start > 0 and not doc[start - 1].whitespace_:
        token = doc[start - 1]
        if token.text in _HYPHENS and start > 1 and not doc[start - 2].whitespace_:
            if not _joins(doc[start - 2]):
                break
            start -= 2
        elif _joins(token):
            start -= 1
        else:
            break
    return start


def whole_name(span: Span, labels: frozenset[str]) -> Span:
    """The span widened to whole words, its number and a count read out after it (see the
    module doc); `labels`: what the model may have tagged that number as."""
    doc = span.doc
    end = numbered_end(doc, whole_word_end(doc, span.end), labels)
    return doc[whole_word_start(doc, span.start) : end]


def is_name_word(token: Token) -> bool:
    """Written as a name: capitalised ("Forem", "CN", "TypeScript") or a capital after a
    lower-case start ("iPhone", "eBay"); not a stop word, number or bare punctuation."""
    text = token.text
    if len(text) < 2 or token.is_stop or token.like_num or not any(c.isalpha() for c in text):
        return False
    return text[0].isupper() or (text[0].islower() and any(c.isupper() for c in text[1:]))


def opens_sentence(doc: Doc, i: int) -> bool:
    """First word of a sentence, a segment (line) or a quotation: capitalised anyway."""
    if i == 0 or doc[i].is_sent_start:
        return True
    before = doc[i - 1]
    return "\n" in before.text_with_ws or before.text in SENTENCE_END or before.is_space


def with_titled_neighbours(span: Span) -> Span:
    """The model's name widened by the capitalised words right beside it on its line, outside
    any other entity and not opening a sentence: the small model tags the part of a longer
    name it knows ("JavaScript" of "JavaScript Jabber", "Soft Skills" of "Soft Skills
    Engineering", "Yishai" of "Yishai Beeri"). Not in languages that capitalise every noun."""
    doc = span.doc
    if doc.lang_ in NOUNS_CAPITALISED:
        return span
    start, end = span.start, span.end
    while (
        end - span.end < MAX_TITLED_NEIGHBOURS
        and end < len(doc)
        and doc[end - 1].whitespace_ == " "
        and _titled_neighbour(doc, end)
    ):
        end += 1
    while (
        span.start - start < MAX_TITLED_NEIGHBOURS
        and start > 0
        and doc[start - 1].whitespace_ == " "
        and _titled_neighbour(doc, start - 1)
        and not opens_sentence(doc, start - 1)
    ):
        start -= 1
    return span if (start, end) == (span.start, span.end) else doc[start:end]


def _titled_neighbour(doc: Doc, i: int) -> bool:
    token = doc[i]
    return (
        token.ent_iob_ in ("", "O")
        and not token.is_sent_start
        and token.text[0].isupper()
        and NAME_WORD.fullmatch(token.text) is not None
        and is_name_word(token)
        and not is_leading_word(token.text)
        and not is_trailing_word(token.text)
    )
