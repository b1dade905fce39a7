"""The one exception of parsing, and the size limit every reader of raw files shares."""

from __future__ import annotations

# Beyond this a file is not one podcast episode: a 3-hour show is ~200 KB of text, and 8 MiB
# (~1.4 M words) already takes minutes of NLP. A 50 MB file is rejected, not left to run for
# an hour and gigabytes.
MAX_FILE_BYTES = 8 * 1024 * 1024


class ParseError(ValueError):
    """A raw file that cannot be ingested; `str()` is the reason a user reads."""

    def __init__(self, source_file: str, reason: str) -> None:
        super().__init__(f"{source_file}: {reason}")
        self.source_file = source_file
        self.reason = reason
