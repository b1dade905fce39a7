"""Parses kept from a refresh's pre-parse for its ingest step, in the same process.

Planning parses every new file once to give a file that will be rejected a run of its own; the
ingest step then parsed it again (1.2 s of a 30-file cold refresh). A parse kept here is taken
back, once, by content hash and file name, so a file changed in between is parsed afresh.
Kept parses are bounded by their files' size; what the ingest step does not take (another
process ran it) is dropped with `forget`.
"""

from __future__ import annotations

import threading

from podcast_assets.models import ParsedEpisode
from podcast_assets.parsing.feeds import Feed

# Parsed objects hold a few times their file's bytes; 32 MiB of files keeps this well inside
# the refresh's memory target, and covers every file of a small or incremental refresh.
BUDGET_BYTES = 32 * 2**20

Parsed = ParsedEpisode | Feed


class ParseMemo:
    """A bounded map (sha256, file name) -> parse, each entry taken at most once."""

    def __init__(self, budget_bytes: int = BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._entries: dict[tuple[str, str], tuple[Parsed, int]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def keep(self, sha256: str, source_file: str, parsed: Parsed, size: int) -> bool:
        """Keep a parse unless the budget is spent (then nothing is evicted: first come)."""
        with self._lock:
            key = (sha256, source_file)
            if key in self._entries or self._bytes + size > self.budget_bytes:
                return False
            self._entries[key] = (parsed, size)
            self._bytes += size
            return True

    def take(self, sha256: str, source_file: str) -> Parsed | None:
        """The kept parse of exactly these bytes under this name, removed from the memo."""
        with self._lock:
            entry = self._entries.pop((sha256, source_file), None)
            if entry is None:
                return None
            self._bytes -= entry[1]
            return entry[0]

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


PARSES = ParseMemo()
