"""The people of an episode: who its metadata lists and who its transcript labels as speaking
(and where the text names them or the show).

They are entities of the episode even when nobody says their name: a guest known only by a
`<v Name>` tag, or a host that the feed's `podcast:person` names. Each becomes one
episode-level `mentions` row (no offsets: it is not a place in the text) with label PERSON
and a `role`: the listed one (`host`, `guest`, ... as the feed writes it), else the one the
speaker label writes after the name (`Leo Dion (host):`, `segments.speaker_role`), else
`speaker`. The same role goes on every other mention of that person in the episode.

A speaker label is taken as a person only when it looks like a name: diarization labels
("SPEAKER_1"), roles ("Host", "Interviewer") and labels with digits are not people.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import jellyfish

from podcast_assets.extraction.aliases import alias_key
from podcast_assets.extraction.gazetteer import Gazetteer
from podcast_assets.extraction.rows import make_row
from podcast_assets.extraction.surfaces import normalize_space
from podcast_assets.models import Segment
from podcast_assets.schema import MENTIONS

ROLE_SPEAKER = "speaker"
ROLE_HOST = "host"
ROLE_GUEST = "guest"
SOURCE_SPEAKER = "speaker"  # a speaker label of the transcript
SOURCE_METADATA = "metadata"  # the feed's podcast:person, or the episode's host and guests
# The file's or the feed's own statement of who is in the episode.
CONFIDENCE_LISTED = 0.9

_SUBTITLE = re.compile(r"\s*(?::|\s[-\u2013\u2014|]\s)\s*")
_DIARIZED = re.compile(r"(?i)^(?:speaker|spk|s)[ _-]?\d{1,3}$")
# Labels that name a part someone plays, not who plays it.
_ROLE_WORDS = """
host co-host cohost guest guests interviewer interviewee narrator moderator announcer
audience caller voice voiceover presenter reporter speaker participant student teacher
question answer q a both all everyone crowd group man woman male female other others
unknown multiple producer editor panel panelist panelists
"""
_ROLE_LABELS = frozenset(_ROLE_WORDS.split())


class Person(NamedTuple):
    """One person of the episode and the part they play in it."""

    name: str
    role: str


def listed_people(
    persons: Iterable[Mapping[str, Any]] = (),
    hosts: Iterable[str] = (),
    guests: Iterable[str] = (),
) -> tuple[Person, ...]:
    """The metadata's people, first listing first: the feed item's `podcast:person` entries
    (`persons`: name and role), then hosts and guests not already among them (the channel's
    hosts, or those the transcript's introduction names)."""
    found: dict[str, Person] = {}
    pairs = [(p.get("name"), p.get("role") or ROLE_HOST) for p in persons]
    pairs += [(h, ROLE_HOST) for h in hosts] + [(g, ROLE_GUEST) for g in guests]
    for name, role in pairs:
        name = normalize_space(str(name or ""))
        if (key := alias_key(name)) and key not in found:
            found[key] = Person(name, str(role).strip().lower())
    return tuple(found.values())


def is_person_label(label: str) -> bool:
    """Whether a speaker label names someone ("Adam Curry"), not a slot or a part."""
    words = label.split()
    return (
        bool(words)
        and len(words) <= 4
        and not any(c.isdigit() for c in label)
        and not _DIARIZED.match(label)
        and label.casefold() not in _ROLE_LABELS
        and any(c.isupper() for c in label)
    )


class EpisodePeople:
    """The listed people and the speaker labels of one episode, each label resolved to the
    listed person it names (same key, or the one listed person with that first name)."""

    def __init__(
        self,
        listed: Sequence[Person],
        segments: Sequence[Segment],
        gazetteer: Gazetteer | None = None,
    ) -> None:
        def known(name: str) -> str:
            """The gazetteer's name for a person it knows ("John Krohn" -> "Jon Krohn")."""
            entry = gazetteer.lookup(name) if gazetteer is not None else None
            return entry.name if entry is not None and entry.label == "PERSON" else name

        self.listed = tuple(Person(known(p.name), p.role) for p in listed)
        # As the metadata writes each listed name (the surface of its row).
        self.written = {c.name: p.name for c, p in zip(self.listed, listed, strict=True)}
        # label -> the person it is (a listed one, else the label itself as a speaker)
        self.speakers: dict[str, Person] = {
            label: self._listed_match(known(label)) or Person(known(label), role)
            for label, role in _person_labels(segments).items()
        }

    def _listed_match(self, name: str) -> Person | None:
        key = alias_key(name)
        same = [p for p in self.listed if alias_key(p.name) == key]
        if same:
            return same[0]
        if " " not in name:
            named = [p for p in self.listed if _first_key(p.name) == key and " " in p.name]
            if len(named) == 1:
                return named[0]
        return None

    @property
    def people(self) -> tuple[Person, ...]:
        """Every distinct person: listed ones first, then speakers who are not listed."""
        out = {alias_key(p.name): p for p in self.listed}
        for person in self.speakers.values():
            out.setdefault(alias_key(person.name), person)
        return tuple(out.values())

    def full_names_with_first(self, first: str) -> set[str]:
        """Names of two words or more of the episode's people whose first word is `first`."""
        key = alias_key(first)
        return {p.name for p in self.people if " " in p.name and _first_key(p.name) == key}

    def link_lone_names(self, said: Mapping[str, set[str]]) -> None:
        """A one-word speaker label that is no listed person takes the one full name said in
        the episode that starts with it (`said`: first-name key -> full names)."""
        for label, person in self.speakers.items():
            if person not in self.listed and " " not in person.name:
                candidates = said.get(alias_key(person.name), set())
                if len(candidates) == 1:
                    self.speakers[label] = Person(next(iter(candidates)), person.role)

    def spelled_like(self, name: str) -> str | None:
        """The person whose name `name` spells otherwise: the same key ("dan lines"), or the
        same first word and the others sounding alike ("Yishai Berry" said, "Yishai Beeri"
        labelled; within one episode an ASR spelling, across a corpus maybe someone else)."""
        words = name.split()
        key, sound = alias_key(name), _sound(words)
        found = {
            p.name
            for p in self.people
            if alias_key(p.name) == key
            or (len(p.name.split()) == len(words) > 1 and _sound(p.name.split()) == sound)
        }
        return next(iter(found)) if len(found) == 1 else None

    def said(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, person) wherever `text` writes a person's name as a whole word: the
        full name, or a first name no other person of the episode has and the text never
        writes in lower case ("Will" is also a verb). One scan of the text for all names."""
        people = self.people
        firsts = Counter(_first_key(p.name) for p in people)
        forms = {p.name: p.name for p in people}
        for person in people:
            first = person.name.split(" ", 1)[0]
            own = " " in person.name and firsts[_first_key(first)] == 1
            if own and len(first) > 1 and first[0].isupper():
                forms.setdefault(first, person.name)
        if not forms:
            return
        firsts_only = {f.lower() for f, name in forms.items() if f != name}
        lowered = (
            {m.group() for m in _alternation(firsts_only).finditer(text)} if firsts_only else set()
        )
        for match in _alternation(forms).finditer(text):
            form = match.group()
            if form == forms[form] or form.lower() not in lowered:
                yield match.start(), match.end(), forms[form]

    def roles(self) -> dict[str, str]:
        """`alias_key` of each person's name -> their role."""
        return {alias_key(p.name): p.role for p in self.people}


def _person_labels(segments: Sequence[Segment]) -> dict[str, str]:
    """The speaker labels that name people, in order of appearance, each with the first role
    written after it (`Leo Dion (host):`), else `speaker`."""
    labels: dict[str, str] = {}
    for s in segments:
        label = normalize_space(s.speaker or "")
        if label and (label not in labels or labels[label] == ROLE_SPEAKER):
            labels[label] = s.speaker_role or ROLE_SPEAKER
    return {label: role for label, role in labels.items() if is_person_label(label)}


def _sound(words: Sequence[str]) -> tuple[str, ...]:
    """The first word's key, then each other word's metaphone."""
    keys = [alias_key(w) for w in words]
    return (keys[0], *(jellyfish.metaphone(k) if k.isascii() else k for k in keys[1:]))


def show_said(text: str, show: str | None) -> Iterator[tuple[int, int, str]]:
    """(start, end, show) wherever `text` names the show: its name before any subtitle
    ("Go Time: Golang, ..."), in any case and spacing ("PostgresFM" for "Postgres FM"),
    with at least one capital as written (the show "Today" is not every "today")."""
    name = normalize_space(_SUBTITLE.split(show or "", maxsplit=1)[0])
    words = [w for w in re.split(r"[\s\-]+", name) if w]
    if not words or not alias_key(name):
        return
    pattern = r"[\s\-]*".join(map(re.escape, words))
    for match in re.finditer(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE):
        if any(c.isupper() for c in match.group()):
            yield match.start(), match.end(), name


def _alternation(forms: Iterable[str]) -> re.Pattern[str]:
    """Whole-word matches of any of `forms`, the longest first."""
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, ordered))})(?!\w)")


def _first_key(name: str) -> str:
    return alias_key(name.split(" ", 1)[0])


def people_rows(
    episode_id: str, people: EpisodePeople, gazetteer: Gazetteer
) -> list[dict[str, Any]]:
    """One episode-level `mentions` row per person: a speaker's carries the label as its
    `surface` and `speaker`, a listed person who never speaks comes from the metadata."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    entries = [(label, person, SOURCE_SPEAKER) for label, person in people.speakers.items()]
    entries += [(people.written[p.name], p, SOURCE_METADATA) for p in people.listed]
    for surface, person, source in entries:
        name = person.name
        entry = gazetteer.by_name.get(name)
        if alias_key(name) in seen:
            continue
        seen.add(alias_key(name))
        rows.append(
            make_row(
                MENTIONS,
                episode_id=episode_id,
                entity=name,
                surface=surface,
                label="PERSON",
                category=entry.category if entry is not None else None,
                char_start=None,
                char_end=None,
                segment_seq=None,
                start_seconds=None,
                speaker=surface if source == SOURCE_SPEAKER else None,
                context=None,
                confidence=CONFIDENCE_LISTED,
                source=source,
                role=person.role,
            )
        )
    return rows
