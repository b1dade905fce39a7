"""The raw directory as a set of partitions: stable episode ids and content hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from podcast_assets.models import RawFile
from podcast_assets.parsing import MAX_FILE_BYTES, ParseError

_SAFE_STEM = re.compile(r"[A-Za-z0-9_-]+")
_MAX_ID_CHARS = 80


@dataclass(frozen=True, slots=True)
class Collision:
    """A file whose episode id is already taken by another file (e.g. `a.vtt` and `a.srt`)."""

    name: str
    episode_id: str
    taken_by: str

    @property
    def reason(self) -> str:
        return (
            f"{self.name}: its episode id {self.episode_id!r} is already used by "
            f"{self.taken_by!r}; rename one of the two files"
        )


def episode_id_for(file_name: str) -> str:
    """A slug of the name without extension; lossy names get a short hash so ids stay unique.

    `000_bd597d44d42fa029.txt` keeps its stem; `Ep 1 "O'Brien".vtt` becomes
    `ep-1-o-brien-<8 hex>`, so names with quotes, spaces or SQL fragments are safe keys.
    """
    stem = Path(file_name).stem or file_name
    if _SAFE_STEM.fullmatch(stem) and len(stem) <= _MAX_ID_CHARS:
        return stem.lower()
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_]+", "-", ascii_stem.lower()).strip("-")[:_MAX_ID_CHARS]
    digest = hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else f"file-{digest}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_raw_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refusing before reading one too large to be an episode.

    Checking the size first keeps memory bounded: a 5 GB file dropped by mistake is rejected
    from its size, never loaded.
    """
    size = path.stat().st_size
    if size > limit:
        raise ParseError(
            path.name, f"file is {size:,} bytes, over the {limit:,}-byte limit for one episode"
        )
    return path.read_bytes()


def list_raw_files(raw_dir: Path) -> tuple[dict[str, Path], list[Collision]]:
    """episode_id -> path for every visible regular file directly in `raw_dir`.

    Hidden files (editor swap files, `.DS_Store`) are not podcast files. When two names map
    to one id, the first in name order keeps it and the other is reported, never dropped.
    """
    owners: dict[str, Path] = {}
    collisions: list[Collision] = []
    if not raw_dir.is_dir():
        return owners, collisions
    for path in sorted(raw_dir.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or not path.is_file():
            continue
        episode_id = episode_id_for(path.name)
        if episode_id in owners:
            collisions.append(Collision(path.name, episode_id, owners[episode_id].name))
        else:
            owners[episode_id] = path
    return owners, collisions


def scan_raw_dir(raw_dir: Path) -> tuple[list[RawFile], list[Collision]]:
    """Every raw file with its content hash, in name order."""
    paths, collisions = list_raw_files(raw_dir)
    files = [
        RawFile(
            episode_id=episode_id,
            path=str(path),
            name=path.name,
            content_sha256=sha256_file(path),
            size_bytes=path.stat().st_size,
        )
        for episode_id, path in paths.items()
    ]
    return files, collisions
