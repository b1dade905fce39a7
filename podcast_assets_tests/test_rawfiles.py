"""Partition keys from file names: stable, unique, and safe whatever the name."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
from pathlib import Path

import pytest

from podcast_assets.parsing import ParseError
from podcast_assets.rawfiles import (
    Collision,
    FileTooLargeError,
    Unreadable,
    episode_id_for,
    read_raw_file,
    scan_raw_dir,
    sha256_file,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("000_bd597d44d42fa029.txt", "000_bd597d44d42fa029"),
        ("Episode-12.vtt", "episode-12-vtt"),
        ("episode-12.txt", "episode-12"),
        ("buzzcast.SRT", "buzzcast-srt"),
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


def test_rawfiles_one_episode_in_several_formats_is_several_partitions(tmp_path):
    for name in ("ep1.json", "ep1.srt", "ep1.vtt", "ep1.txt"):
        (tmp_path / name).write_text("x\n")
    files, refusals = scan_raw_dir(tmp_path)
    assert refusals == []
    assert {f.name: f.episode_id for f in files} == {
        "ep1.json": "ep1-json",
        "ep1.srt": "ep1-srt",
        "ep1.txt": "ep1",
        "ep1.vtt": "ep1-vtt",
    }


def test_rawfiles_scan_reports_collisions_and_skips_hidden(tmp_path):
    (tmp_path / "ep1.vtt").write_text("WEBVTT\n")
    (tmp_path / "EP1.vtt").write_text("WEBVTT\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00")
    (tmp_path / "sub").mkdir()
    files, collisions = scan_raw_dir(tmp_path)
    assert [f.name for f in files] == ["EP1.vtt"]
    assert len(files[0].content_sha256) == 64
    assert [(c.name, c.taken_by) for c in collisions] == [("ep1.vtt", "EP1.vtt")]
    assert "already used by 'EP1.vtt'" in collisions[0].reason


def _promptly(fn, *args, timeout=10.0, **kwargs):
    """fn(*args) in a thread, failing (not hanging) if it blocks, e.g. by opening a FIFO."""
    result: dict = {}

    def run():
        try:
            result["out"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the test's thread
            result["exc"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{fn.__name__} blocked"
    if "exc" in result:
        raise result["exc"]
    return result["out"]


@pytest.fixture
def raw(tmp_path):
    """A raw directory holding one good file, beside a directory outside it with a secret."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("secret words\n")
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    (raw_dir / "good.txt").write_text("Hello and welcome.\n")
    (raw_dir / "archive").mkdir()  # a sub-folder: passed over, not refused
    (raw_dir / "archive" / "old.txt").write_text("An old episode.\n")
    return raw_dir


def _bind_socket(path):
    if len(str(path)) > 100:
        pytest.skip("socket path too long for AF_UNIX")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))


def _char_device(path):
    try:
        os.mknod(path, 0o600 | 0o020000, os.makedev(1, 3))  # S_IFCHR, like /dev/null
    except PermissionError:
        pytest.skip("creating a device needs privileges")


_OUTSIDE = "is a symbolic link to a file outside the raw directory"
_DANGLING = "is a symbolic link to nothing (dangling)"
_REFUSED = [
    ("passwd.txt", lambda p: p.symlink_to("/etc/passwd"), _OUTSIDE),
    ("secret.txt", lambda p: p.symlink_to(p.parent.parent / "outside" / "secret.txt"), _OUTSIDE),
    ("relative.txt", lambda p: p.symlink_to("../outside/secret.txt"), _OUTSIDE),
    ("dangling.txt", lambda p: p.symlink_to(p.parent / "nowhere.txt"), _DANGLING),
    (
        "loop.txt",
        lambda p: p.symlink_to("loop.txt"),
        "is a symbolic link that loops back on itself",
    ),
    ("pipe.txt", os.mkfifo, "is a FIFO (named pipe), not a regular file"),
    ("sock.txt", _bind_socket, "is a socket, not a regular file"),
    ("dev.txt", _char_device, "is a character device, not a regular file"),
    ("notes.txt", lambda p: p.mkdir(), "is a directory, not a regular file"),
    (
        "folder.txt",
        lambda p: p.symlink_to(p.parent / "archive"),
        "is a symbolic link to a directory, not a regular file",
    ),
    (
        "inner-pipe.txt",
        lambda p: (os.mkfifo(p.parent / "archive" / "p"), p.symlink_to("archive/p")),
        "is a symbolic link to a FIFO (named pipe), not a regular file",
    ),
]


@pytest.mark.parametrize(("name", "make", "why"), _REFUSED, ids=[c[0] for c in _REFUSED])
def test_rawfiles_entries_that_are_not_regular_files_inside_are_refused_not_read(
    raw, name, make, why
):
    make(raw / name)
    files, refusals = _promptly(scan_raw_dir, raw)
    assert [(f.name, f.content_sha256) for f in files] == [
        ("good.txt", hashlib.sha256(b"Hello and welcome.\n").hexdigest())
    ]
    assert [(r.name, r.episode_id, r.reason) for r in refusals] == [
        (name, episode_id_for(name), f"{name}: {why}; not read")
    ]
    assert isinstance(refusals[0], Unreadable)
    # Read directly (as the ingest step does), it is refused too, for the same reason.
    with pytest.raises(ParseError) as refused:
        _promptly(read_raw_file, raw / name)
    assert refused.value.reason == why
    with pytest.raises(ParseError):
        _promptly(sha256_file, raw / name)


def test_rawfiles_every_refused_entry_is_reported_together_in_name_order(raw):
    expected = []
    for name, make, why in _REFUSED:
        try:
            make(raw / name)
        except pytest.skip.Exception:  # no device without privileges: the rest still counts
            continue
        expected.append((name, f"{name}: {why}; not read"))
    files, refusals = _promptly(scan_raw_dir, raw)
    assert [f.name for f in files] == ["good.txt"]
    assert [(r.name, r.reason) for r in refusals] == sorted(expected)


@pytest.mark.parametrize(
    ("target", "content"),
    [
        ("good.txt", b"Hello and welcome.\n"),  # relative, beside it
        ("{raw}/good.txt", b"Hello and welcome.\n"),  # absolute, into the directory
        ("archive/old.txt", b"An old episode.\n"),  # into a sub-folder of it
        ("chain.txt", b"Hello and welcome.\n"),  # a link to a link that stays inside
    ],
)
def test_rawfiles_a_link_to_a_file_inside_the_directory_is_read(raw, target, content):
    (raw / "chain.txt").symlink_to("good.txt")
    (raw / "link.txt").symlink_to(target.format(raw=raw))
    files, refusals = _promptly(scan_raw_dir, raw)
    assert refusals == []
    by_name = {f.name: f for f in files}
    assert by_name["link.txt"].episode_id == "link"
    assert by_name["link.txt"].content_sha256 == hashlib.sha256(content).hexdigest()
    assert by_name["link.txt"].size_bytes == len(content)
    assert read_raw_file(raw / "link.txt") == content


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p.mkdir(),
        os.mkfifo,
        lambda p: p.symlink_to("/etc/passwd"),
        lambda p: p.symlink_to(p.parent / "nowhere"),
    ],
    ids=["directory", "fifo", "link-outside", "dangling"],
)
def test_rawfiles_a_regular_file_keeps_its_id_beside_a_refused_entry(tmp_path, make):
    make(tmp_path / "a.VTT")  # sorts before a.vtt, but is not a file it may read
    (tmp_path / "a.vtt").write_text("WEBVTT\n")
    files, refusals = _promptly(scan_raw_dir, tmp_path)
    assert [(f.episode_id, f.name) for f in files] == [("a-vtt", "a.vtt")]
    assert [(r.name, r.episode_id) for r in refusals] == [("a.VTT", "a-vtt")]
    assert not isinstance(refusals[0], Collision)


def test_rawfiles_hidden_entries_stay_ignored_whatever_they_are(tmp_path):
    os.mkfifo(tmp_path / ".pipe.swp")
    (tmp_path / ".passwd").symlink_to("/etc/passwd")
    (tmp_path / ".DS_Store").write_bytes(b"\x00")
    (tmp_path / ".git").mkdir()
    assert _promptly(scan_raw_dir, tmp_path) == ([], [])


def test_rawfiles_a_file_whose_stat_size_lies_is_read_only_up_to_the_limit():
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc here")
    assert status.stat().st_size == 0  # stat says nothing about /proc files
    with pytest.raises(FileTooLargeError, match="more than 16 bytes, over the 16-byte limit"):
        read_raw_file(status, limit=16)
    assert len(read_raw_file(status)) > 16  # under the real limit it is read, bytes and all
    assert len(sha256_file(status, limit=16)) == 64  # known by size and mtime, not read whole


def test_rawfiles_a_file_growing_past_the_limit_is_never_read_past_it(tmp_path):
    growing, limit = tmp_path / "growing.txt", 64 * 1024
    growing.write_bytes(b"")
    stop = threading.Event()

    def grow():
        with growing.open("ab", buffering=0) as out:
            while not stop.is_set() and out.tell() < 64 * limit:
                out.write(b"x" * 1024)

    writer = threading.Thread(target=grow, daemon=True)
    writer.start()
    try:
        with pytest.raises(FileTooLargeError, match="over the 65,536-byte limit"):
            for _ in range(100_000):
                assert len(read_raw_file(growing, limit=limit)) <= limit
    finally:
        stop.set()
        writer.join(10)


@pytest.mark.parametrize(("size", "refused"), [(0, False), (10, False), (11, True)])
def test_rawfiles_the_limit_is_inclusive(tmp_path, size, refused):
    path = tmp_path / "edge.txt"
    path.write_bytes(b"x" * size)
    if refused:
        with pytest.raises(FileTooLargeError, match=f"file is {size} bytes, over the 10-byte"):
            read_raw_file(path, limit=10)
    else:
        assert read_raw_file(path, limit=10) == b"x" * size


def test_rawfiles_a_huge_file_is_refused_from_its_size_without_reading(tmp_path):
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as out:
        out.truncate(5 * 1024**3)  # sparse: 5 GB by stat, nothing on disk
    with pytest.raises(FileTooLargeError, match="5,368,709,120 bytes"):
        _promptly(read_raw_file, huge, timeout=2.0)
    assert len(_promptly(sha256_file, huge, timeout=2.0)) == 64
    files, refusals = _promptly(scan_raw_dir, tmp_path, timeout=2.0)
    assert [(f.name, f.size_bytes) for f in files] == [("huge.txt", 5 * 1024**3)]
    assert refusals == []


def test_rawfiles_a_file_over_the_limit_is_known_by_size_and_mtime_not_read(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 100)
    first = sha256_file(big, limit=10)
    assert first == sha256_file(big, limit=10)
    big.write_bytes(b"y" * 120)
    assert sha256_file(big, limit=10) != first
