"""The episode-level passes over the names its docs yielded, in the order they depend on.

Each chunk's doc gives model names and names found by their capitals; only the whole episode
can say which capitals are consistent (written often enough, never in lower case), which model
names its own writing calls ordinary words, and which pieces a link text or an acronym's long
form holds. Linking, merging and rows follow in `mentions.finish_mentions`.
"""

from __future__ import annotations

from podcast_assets.extraction.acronyms import whole_expansions
from podcast_assets.extraction.case_evidence import drop_ordinary_words
from podcast_assets.extraction.mentions import MentionDraft
from podcast_assets.extraction.people import EpisodePeople
from podcast_assets.extraction.proper_nouns import keep_consistent, with_link_anchors


def settle_names(
    drafts: list[MentionDraft], text: str, language: str | None, people: EpisodePeople
) -> list[MentionDraft]:
    """Capitals kept only where consistent (before the case evidence, which reads the names
    kept), model names the episode writes as ordinary words dropped, then link texts and long
    forms made whole over whatever pieces are left."""
    drafts = drop_ordinary_words(keep_consistent(drafts, text, language), text, people, language)
    return whole_expansions(with_link_anchors(drafts, text), text)
