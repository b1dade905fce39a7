"""The raw directory as a set of partitions: stable episode ids and content hashes.

Only regular files inside the raw directory are read. Anything else that sits there under a
visible name (a symbolic link leaving the directory, a FIFO, a socket, a device, a directory
named like a file) is refused with a reason, like a name collision: recorded in the summary
and `ingest_errors`, never opened, never silently skipped. Reads are capped by the bytes that
arrive, not by what `stat` claims (a `/proc` file says 0), and a file is checked to be a
regular file after it is opened, so swapping it for a FIFO between check and read gains
nothing.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from podcast_assets.models import RawFile
from podcast_assets.parsing import MAX_FILE_BYTES, ParseError

_SAFE_STEM = re.compile(r"[A-Za-z0-9_-]+")
_MAX_ID_CHARS = 80


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An entry of the raw directory that is not a regular file inside it: never read."""

    name: str
    episode_id: str
    why: str

    @property
    def reason(self) -> str:
        return f"{self.name}: {self.why}; not read"


@dataclass(frozen=True, slots=True)
class Collision:
    """A file whose episode id is already taken by another file (e.g. `a.vtt` and `A.vtt`)."""

    name: str
    episode_id: str
    taken_by: str

    @property
    def reason(self) -> str:
        return (
            f"{self.name}: its episode id {self.episode_id!r} is already used by "
            f"{self.taken_by!r}; rename one of the two files"
        )


Refusal = Collision | Unreadable
"""An entry of the raw directory that is reported instead of read: callers use `.name`,
`.episode_id` and `.reason` only."""


def episode_id_for(file_name: str) -> str:
    """A slug of the name: the stem for `.txt` (and no extension), else `<stem>-<extension>`.

    Shows publish one episode in several formats side by side (`ep.json`, `ep.srt`,
    `ep.vtt`), so the extension is part of the id; `.txt` (what every format may be saved
    as) is left out. The id depends on the name alone, so adding a sibling never renames
    a partition. `000_bd597d44d42fa029.txt` keeps its stem; `Ep 1 "O'Brien".vtt` becomes
    `ep-1-o-brien-vtt-<8 hex>`, so names with quotes, spaces or SQL fragments are safe keys.
    """
    path = Path(file_name)
    stem = path.stem or file_name
    extension = path.suffix.lower().lstrip(".") if path.stem else ""
    return _slug(stem if extension in ("", "txt") else f"{stem}-{extension}")


def guid_stem(guid: str) -> str:
    """The file stem that stands for a feed item's guid: a slug of the whole guid.

    Not its last path segment: `https://a.example.com/episodes/1` and another show's
    `.../1` must not both be `1`. `podcast-assets fetch` names files with it, and a file
    whose stem it is belongs to that item.
    """
    return _slug(guid.strip())


def _slug(base: str) -> str:
    """`base` lower-cased when it is a safe key already, else an ASCII slug with a short hash."""
    if _SAFE_STEM.fullmatch(base) and len(base) <= _MAX_ID_CHARS:
        return base.lower()
    ascii_stem = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_]+", "-", ascii_stem.lower()).strip("-")[:_MAX_ID_CHARS]
    digest = hashlib.sha256(base.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else f"file-{digest}"


class FileTooLargeError(ParseError):
    """Over the size limit for one episode: refused from its size, never read whole."""


def sha256_file(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The content hash planning compares: of the bytes, or of size and mtime when too large.

    A file over the limit is never read whole, so it is identified by its size and
    modification time instead; its rejection is retried when either changes. Reads go
    through `read_raw_file`, so hashing is as bounded (and as FIFO-proof) as reading.
    """
    return _identity(path, limit)[0]


def read_raw_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refusing one too large to be an episode without reading it all.

    The entry is judged from `lstat`/`stat` before anything is opened (a FIFO or device is
    never opened; a link must stay inside `path.parent`, the raw directory). `stat` refuses
    an ordinary big file before a byte is read (a 5 GB file is never loaded); the read
    itself stops one byte past the limit, for files whose size `stat` does not tell
    (`/proc`) or that grow while we read. The open neither follows a link nor blocks, and
    `fstat` re-checks the opened file, so swapping the entry after the check gains nothing.
    """
    with _open_regular(path, limit) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(path.name, _too_big(None, limit))
    return data


def read_raw_head(path: Path, size: int = 4096, limit: int = MAX_FILE_BYTES) -> bytes:
    """The first `size` bytes of a file `read_raw_file` would read, with the same checks."""
    with _open_regular(path, limit) as handle:
        return handle.read(size)


@contextlib.contextmanager
def _open_regular(path: Path, limit: int) -> Iterator[BinaryIO]:
    """The raw file opened for reading, once it is known to be a regular file inside the raw
    directory and not over `limit` by its size (see `read_raw_file`)."""
    target, info = _regular_target(path, path.parent.resolve())
    if info.st_size > limit:
        raise FileTooLargeError(path.name, _too_big(info.st_size, limit))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    with os.fdopen(os.open(target, flags), "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ParseError(path.name, f"is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise FileTooLargeError(path.name, _too_big(info.st_size, limit))
        yield handle


def _identity(path: Path, limit: int) -> tuple[str, int]:
    """Content hash and size from one bounded read (size of the bytes, not what `stat` says)."""
    try:
        data = read_raw_file(path, limit)
    except FileTooLargeError:
        info = path.stat()
        signature = f"over-limit:{info.st_size}:{info.st_mtime_ns}"
        return hashlib.sha256(signature.encode()).hexdigest(), info.st_size
    return hashlib.sha256(data).hexdigest(), len(data)


def _too_big(size: int | None, limit: int) -> str:
    what = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    return f"file is {what}, over the {limit:,}-byte limit for one episode"


def _regular_target(path: Path, root: Path) -> tuple[Path, os.stat_result]:
    """What to open for `path` and its `lstat`, judged without opening anything.

    Raises ParseError (reason: what the entry is instead) unless it is a regular file inside
    `root`, directly or through a link whose target stays inside; OSError if it cannot
    be examined at all.
    """
    info = path.lstat()
    if not stat.S_ISLNK(info.st_mode):
        if not stat.S_ISREG(info.st_mode):
            raise ParseError(path.name, f"is {_kind(info.st_mode)}, not a regular file")
        return path, info
    try:
        target = path.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise ParseError(path.name, "is a symbolic link to nothing (dangling)") from None
    except (RuntimeError, OSError) as exc:  # 3.11 raises RuntimeError for a loop, 3.13 ELOOP
        if isinstance(exc, OSError) and exc.errno != errno.ELOOP:
            raise
        raise ParseError(path.name, "is a symbolic link that loops back on itself") from None
    if not target.is_relative_to(root):
        raise ParseError(path.name, "is a symbolic link to a file outside the raw directory")
    info = target.lstat()  # resolved, so not a link itself (unless swapped since)
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        raise ParseError(path.name, f"is a symbolic link to {kind}, not a regular file")
    return target, info


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    return next((text for test, text in kinds if test(mode)), "not a regular file")


def list_raw_files(raw_dir: Path) -> tuple[dict[str, Path], list[Refusal]]:
    """episode_id -> path for every regular file in `raw_dir`, and the entries refused.

    Hidden files (editor swap files, `.DS_Store`) and sub-folders without an extension
    ("archive") are not podcast files and are passed over. Every other entry that is not a
    regular file inside the directory is refused by name, from `lstat`/`stat` alone. A
    regular file claims its id before any refused entry does (a folder `a.txt` never costs
    `a.vtt` its id); when two files map to one id, the first in name order keeps it and the
    other is reported, never dropped.
    """
    owners: dict[str, Path] = {}
    refusals: list[Refusal] = []
    if not raw_dir.is_dir():
        return owners, refusals
    root = raw_dir.resolve()
    entries = sorted((p for p in raw_dir.iterdir() if not p.name.startswith(".")), key=_name)
    unreadable: list[Unreadable] = []
    for path in entries:
        if _is_subfolder(path):
            continue  # a sub-folder ("archive"): the raw directory is flat, by design
        episode_id = episode_id_for(path.name)
        try:
            _regular_target(path, root)
        except ParseError as exc:
            unreadable.append(Unreadable(path.name, episode_id, exc.reason))
            continue
        except OSError as exc:
            why = f"cannot be examined ({exc.strerror or exc})"
            unreadable.append(Unreadable(path.name, episode_id, why))
            continue
        if episode_id in owners:
            refusals.append(Collision(path.name, episode_id, owners[episode_id].name))
        else:
            owners[episode_id] = path
    return owners, [*refusals, *unreadable]


def _name(path: Path) -> str:
    return path.name


def _is_subfolder(path: Path) -> bool:
    """A real directory (not a link) without an extension: a folder, not a misnamed file."""
    try:
        return stat.S_ISDIR(path.lstat().st_mode) and not Path(path.name).suffix
    except OSError:
        return False


def scan_raw_dir(raw_dir: Path) -> tuple[list[RawFile], list[Refusal]]:
    """Every raw file with its content hash, in name order, and the entries refused.

    A file that cannot be read (it vanished, or turned out not to be regular) is refused
    with its reason instead of failing the scan.
    """
    paths, refusals = list_raw_files(raw_dir)
    files: list[RawFile] = []
    for episode_id, path in paths.items():
        try:
            sha, size = _identity(path, MAX_FILE_BYTES)
        except ParseError as exc:  # swapped for something that is not a regular file
            refusals.append(Unreadable(path.name, episode_id, exc.reason))
            continue
        except OSError as exc:  # vanished, or unreadable
            why = f"cannot be opened ({exc.strerror or exc})"
            refusals.append(Unreadable(path.name, episode_id, why))
            continue
        files.append(RawFile(episode_id, str(path), path.name, sha, size))
    return files, refusals
