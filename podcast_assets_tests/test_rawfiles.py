"""Partition keys from file names: stable, unique, and safe whatever the name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from podcast_assets.rawfiles import episode_id_for, scan_raw_dir


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("000_bd597d44d42fa029.txt", "000_bd597d44d42fa029"),
        ("Episode-12.vtt", "episode-12"),
        ("noext", "noext"),
    ],
)
def test_rawfiles_safe_names_keep_their_stem(name, expected):
    assert episode_id_for(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        'ep 1 "O\'Brien".srt',
        "x'; DROP TABLE episodes; --.txt",
        "épisode ünicode 日本.vtt",
        "a" * 300 + ".txt",
        "日本.txt",
    ],
)
def test_rawfiles_hostile_names_become_safe_unique_ids(name):
    episode_id = episode_id_for(name)
    assert re.fullmatch(r"[a-z0-9_-]{1,90}", episode_id)
    assert episode_id == episode_id_for(name)  # stable


def test_rawfiles_lossy_slugs_do_not_collide():
    assert episode_id_for("a b.txt") != episode_id_for("a-b.txt")


def test_rawfiles_scan_reports_collisions_and_skips_hidden(tmp_path):
    (tmp_path / "ep1.vtt").write_text("WEBVTT\n")
    (tmp_path / "ep1.srt").write_text("1\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00")
    (tmp_path / "sub").mkdir()
    files, collisions = scan_raw_dir(tmp_path)
    assert [f.name for f in files] == ["ep1.srt"]
    assert len(files[0].content_sha256) == 64
    assert [(c.name, c.taken_by) for c in collisions] == [("ep1.vtt", "ep1.srt")]
    assert "already used by 'ep1.srt'" in collisions[0].reason


def _scan_in_thread(raw_dir, timeout=10.0):
    """scan_raw_dir, failing (not hanging) if it blocks, e.g. by opening a FIFO."""
    import threading

    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(out=scan_raw_dir(raw_dir)), daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "scanning the raw directory blocked"
    return result["out"]


def test_rawfiles_only_regular_files_inside_the_directory_are_read(tmp_path):
    import os

    raw, outside = tmp_path / "raw", tmp_path / "outside"
    raw.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("secret words\n")
    (raw / "good.txt").write_text("Hello and welcome.\n")
    (raw / "inner.txt").symlink_to(raw / "good.txt")
    (raw / "passwd.txt").symlink_to("/etc/passwd")
    (raw / "secret.txt").symlink_to(outside / "secret.txt")
    (raw / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(raw / "pipe.txt")
    (raw / "notes.txt").mkdir()

    files, refusals = _scan_in_thread(raw)

    assert sorted(f.name for f in files) == ["good.txt", "inner.txt"]
    reasons = {r.name: r.reason for r in refusals}
    assert reasons == {
        "dangling.txt": "dangling.txt: is a symbolic link to nothing (dangling); not read",
        "notes.txt": "notes.txt: is a directory, not a regular file; not read",
        "passwd.txt": (
            "passwd.txt: is a symbolic link to a file outside the raw directory; not read"
        ),
        "pipe.txt": "pipe.txt: is a FIFO (named pipe), not a regular file; not read",
        "secret.txt": (
            "secret.txt: is a symbolic link to a file outside the raw directory; not read"
        ),
    }
    assert {r.episode_id for r in refusals} == {"dangling", "notes", "passwd", "pipe", "secret"}


def test_rawfiles_a_regular_file_keeps_its_id_beside_a_refused_entry(tmp_path):
    (tmp_path / "a.txt").mkdir()  # sorts before a.vtt, but is not a file
    (tmp_path / "a.vtt").write_text("WEBVTT\n")
    files, refusals = scan_raw_dir(tmp_path)
    assert [(f.episode_id, f.name) for f in files] == [("a", "a.vtt")]
    assert [r.name for r in refusals] == ["a.txt"]


def test_rawfiles_reading_is_capped_by_the_bytes_not_by_stat():
    import pytest as _pytest

    from podcast_assets.parsing import ParseError
    from podcast_assets.rawfiles import read_raw_file

    status = Path("/proc/self/status")
    if not status.exists():
        _pytest.skip("no /proc here")
    assert status.stat().st_size == 0  # stat says nothing about /proc files
    with _pytest.raises(ParseError, match="more than 16 bytes, over the 16-byte limit"):
        read_raw_file(status, limit=16)


def test_rawfiles_read_refuses_a_fifo_without_blocking(tmp_path):
    import os

    import pytest as _pytest

    from podcast_assets.parsing import ParseError
    from podcast_assets.rawfiles import read_raw_file

    os.mkfifo(tmp_path / "pipe.txt")
    with _pytest.raises(ParseError, match="is a FIFO"):
        read_raw_file(tmp_path / "pipe.txt")


def test_rawfiles_a_file_over_the_limit_is_known_by_size_and_mtime_not_read(tmp_path):
    from podcast_assets.rawfiles import sha256_file

    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 100)
    first = sha256_file(big, limit=10)
    assert first == sha256_file(big, limit=10)
    big.write_bytes(b"y" * 120)
    assert sha256_file(big, limit=10) != first
