"""Partition keys from file names: stable, unique, and safe whatever the name."""

from __future__ import annotations

import re

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
