"""`fetch` against a real local HTTP server: what is saved, refused, and left untouched."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from podcast_assets.fetching import FetchReport, feed_file_name, fetch, plan_names
from podcast_assets.parsing.errors import ParseError
from podcast_assets.parsing.feeds import parse_feed

# What the local server's `/feed.xml` is saved as: its host and path.
LOCAL_FEED = "127-0-0-1-feed.xml"


@dataclass
class Route:
    body: bytes = b""
    content_type: str | None = "text/plain; charset=utf-8"
    status: int = 200
    location: str | None = None
    delay: float = 0.0
    send_length: bool = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping never holds up the teardown

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        self.release = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def handle_error(self, request, client_address) -> None:
        pass  # the client hung up on a slow or oversized response: expected here


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        route = self.server.routes.get(self.path, Route(b"no such page", status=404))
        if route.delay:
            self.server.release.wait(route.delay)
        self.send_response(route.status)
        if route.content_type:
            self.send_header("Content-Type", route.content_type)
        if route.location:
            self.send_header("Location", route.location)
        if route.send_length:
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        self.wfile.write(route.body)

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture(scope="module")
def _running_server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=2)


@pytest.fixture
def server(_running_server: _Server) -> _Server:
    """The module's server with no routes: each test serves its own feed and files."""
    _running_server.routes.clear()
    _running_server.hits.clear()
    return _running_server


def _feed(srv: _Server, items: list[tuple[str | None, list[str]]]) -> bytes:
    """A feed whose items have these guids and transcript URLs (paths are on `srv`)."""
    parts = []
    for number, (guid, urls) in enumerate(items, start=1):
        guid_tag = f"<guid isPermaLink='false'>{guid}</guid>" if guid else ""
        transcripts = "".join(
            f"<podcast:transcript url='{url if ':' in url else srv.url(url)}' type='text/plain'/>"
            for url in urls
        )
        parts.append(f"<item><title>Episode {number}</title>{guid_tag}{transcripts}</item>")
    return (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        "<rss version='2.0' xmlns:podcast='https://podcastindex.org/namespace/1.0'>"
        f"<channel><title>Local show</title>{''.join(parts)}</channel></rss>"
    ).encode()


def _serve_feed(srv: _Server, items: list[tuple[str | None, list[str]]]) -> str:
    srv.routes["/feed.xml"] = Route(_feed(srv, items), "application/rss+xml")
    return srv.url("/feed.xml")


def _run(source: str, raw: Path, **kwargs) -> FetchReport:
    kwargs.setdefault("timeout_s", 2.0)
    return fetch(source, raw, progress=False, **kwargs)


def _files(raw: Path) -> dict[str, bytes]:
    """What the raw directory holds for a refresh (hidden files are not read by it)."""
    return {p.name: p.read_bytes() for p in sorted(raw.iterdir()) if not p.name.startswith(".")}


def test_fetch_saves_the_feed_and_every_transcript_of_every_item(server, tmp_path):
    server.routes["/t/ep1.vtt"] = Route(b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n", "text/vtt")
    server.routes["/t/ep1.json"] = Route(b'{"segments": []}', "application/json")
    server.routes["/t/ep2.srt"] = Route(b"1\n00:00:00,000 --> 00:00:01,000\nHi\n", None)
    items = [("ep-1", ["/t/ep1.vtt", "/t/ep1.json"]), ("ep-2", ["/t/ep2.srt"])]
    server.routes["/shows/soil/feed"] = Route(_feed(server, items), "application/xml")
    raw = tmp_path / "raw"

    report = _run(server.url("/shows/soil/feed"), raw)

    assert report.feed_file == "127-0-0-1-shows-soil-feed.xml"
    assert report.saved == [report.feed_file, "ep1.vtt", "ep1.json", "ep2.srt"]
    assert (report.unchanged, report.failed) == ([], [])
    files = _files(raw)
    assert set(files) == set(report.saved)  # nothing hidden or partial left behind
    assert files["ep1.json"] == b'{"segments": []}'
    assert parse_feed(files[report.feed_file], "f").items[0].guid == "ep-1"


def test_fetch_failures_are_one_line_each_and_never_stop_the_others(server, tmp_path):
    server.routes["/ok.vtt"] = Route(b"WEBVTT\n", "text/vtt")
    server.routes["/audio.mp3"] = Route(b"ID3....", "audio/mpeg")
    server.routes["/archive.srt"] = Route(b"PK..", "application/zip")
    items = [
        ("a", ["/missing.srt", "/audio.mp3"]),
        ("b", ["/archive.srt", "file:///etc/passwd"]),
        ("c", ["/ok.vtt"]),
    ]
    report = _run(_serve_feed(server, items), tmp_path)

    failed = dict(report.failed)
    assert failed[server.url("/missing.srt")] == "HTTP 404 Not Found"
    assert "audio/mpeg" in failed[server.url("/audio.mp3")]
    assert "application/zip" in failed[server.url("/archive.srt")]
    feed_problem = failed[server.url("/feed.xml")]
    assert "file:///etc/passwd" in feed_problem and "not http(s)" in feed_problem
    assert report.saved == [LOCAL_FEED, "ok.vtt"]
    assert set(_files(tmp_path)) == {LOCAL_FEED, "ok.vtt"}
    assert not any("passwd" in hit for hit in server.hits)


def test_fetch_follows_redirects_within_the_limit_and_refuses_more(server, tmp_path):
    for hop in range(1, 8):
        server.routes[f"/hop/{hop}/ep.srt"] = Route(status=302, location=f"/hop/{hop - 1}/ep.srt")
    server.routes["/hop/0/ep.srt"] = Route(b"1\n00:00:00,000 --> 00:00:01,000\nHi\n")
    server.routes["/escape.vtt"] = Route(status=301, location="file:///etc/passwd")
    items = [("near", ["/hop/3/ep.srt"]), ("far", ["/hop/7/ep.srt"]), ("x", ["/escape.vtt"])]

    report = _run(_serve_feed(server, items), tmp_path, max_redirects=5)

    assert report.saved == [LOCAL_FEED, "near.srt"]  # both URLs end in ep.srt: guid names
    assert (tmp_path / "near.srt").read_bytes().startswith(b"1\n")
    failed = dict(report.failed)
    assert failed[server.url("/hop/7/ep.srt")] == "more than 5 redirects"
    assert "not an http(s) URL" in failed[server.url("/escape.vtt")]


@pytest.mark.parametrize("send_length", [True, False])
def test_fetch_a_body_over_the_limit_leaves_no_file(server, tmp_path, send_length):
    server.routes["/big.txt"] = Route(b"x" * 5000, send_length=send_length)
    server.routes["/small.txt"] = Route(b"small")
    report = _run(
        _serve_feed(server, [("a", ["/big.txt", "/small.txt"])]), tmp_path, max_bytes=2000
    )

    assert report.failed == [(server.url("/big.txt"), "larger than the 2000-byte limit")]
    assert set(_files(tmp_path)) == {LOCAL_FEED, "small.txt"}  # no big.txt, no .part file


def test_fetch_a_hanging_server_times_out_and_the_rest_is_saved(server, tmp_path):
    server.routes["/slow.vtt"] = Route(b"WEBVTT\n", "text/vtt", delay=5.0)
    server.routes["/fast.vtt"] = Route(b"WEBVTT\n", "text/vtt")
    source = _serve_feed(server, [("a", ["/slow.vtt"]), ("b", ["/fast.vtt"])])

    report = _run(source, tmp_path, timeout_s=0.3)

    assert report.failed == [(server.url("/slow.vtt"), "timed out after 0.3 s")]
    assert report.saved == [LOCAL_FEED, "fast.vtt"]
    assert set(_files(tmp_path)) == {LOCAL_FEED, "fast.vtt"}


def test_fetch_shared_file_names_become_guid_names(server, tmp_path):
    server.routes["/a/transcript.json"] = Route(b'{"a": 1}', "application/json")
    server.routes["/b/transcript.json"] = Route(b'{"b": 2}', "application/json")
    items = [("show-ep-2", ["/a/transcript.json"]), ("https://x.example/3", ["/b/transcript.json"])]

    report = _run(_serve_feed(server, items), tmp_path)

    # rawfiles.guid_stem(guid), the whole guid: what feed_metadata matches a file's stem against.
    assert report.saved == [LOCAL_FEED, "show-ep-2.json", "https-x-example-3-25a7036f.json"]
    assert (tmp_path / "show-ep-2.json").read_bytes() == b'{"a": 1}'


def test_fetch_plan_names_adds_counters_when_guid_names_collide(server):
    urls = ["/a/transcript.json", "/b/transcript.json", "/c/transcript.json"]
    feed = parse_feed(_feed(server, [("ep", urls[:2]), ("EP", urls[2:])]), "f.xml")
    names = plan_names(feed, reserved="feed.xml")
    assert [names[server.url(u)] for u in urls] == ["ep.json", "ep-2.json", "ep-3.json"]


def test_fetch_a_second_run_changes_nothing(server, tmp_path):
    server.routes["/one.vtt"] = Route(b"WEBVTT\n\none\n", "text/vtt")
    server.routes["/two.srt"] = Route(b"1\n00:00:00,000 --> 00:00:01,000\ntwo\n")
    source = _serve_feed(server, [("a", ["/one.vtt"]), ("b", ["/two.srt"])])
    first = _run(source, tmp_path)
    for path in tmp_path.iterdir():
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))

    second = _run(source, tmp_path)

    assert second.saved == []
    assert second.unchanged == first.saved == [LOCAL_FEED, "one.vtt", "two.srt"]
    assert {p.stat().st_mtime_ns for p in tmp_path.iterdir()} == {1_000_000_000}

    server.routes["/two.srt"] = Route(b"1\n00:00:00,000 --> 00:00:01,000\nedited\n")
    third = _run(source, tmp_path)
    assert third.saved == ["two.srt"]
    assert b"edited" in (tmp_path / "two.srt").read_bytes()


def test_fetch_limit_takes_the_first_items_only(server, tmp_path):
    server.routes["/one.vtt"] = Route(b"WEBVTT\n", "text/vtt")
    server.routes["/two.vtt"] = Route(b"WEBVTT\n", "text/vtt")
    source = _serve_feed(server, [("a", ["/one.vtt"]), ("b", ["/two.vtt"])])

    report = _run(source, tmp_path, limit=1)

    assert report.saved == [LOCAL_FEED, "one.vtt"]
    assert "/two.vtt" not in server.hits


def test_fetch_from_a_local_feed_file(server, tmp_path):
    server.routes["/one.vtt"] = Route(b"WEBVTT\n", "text/vtt")
    local = tmp_path / "my show.rss"
    local.write_bytes(_feed(server, [("a", ["/one.vtt"])]))
    raw = tmp_path / "raw"

    report = _run(str(local), raw)

    assert report.feed_file == "my show.rss"
    assert _files(raw) == {"my show.rss": local.read_bytes(), "one.vtt": b"WEBVTT\n"}


@pytest.mark.parametrize(
    "source", ["file:///etc/passwd", "ftp://example.com/feed.xml", "javascript:alert(1)"]
)
def test_fetch_other_schemes_are_never_fetched(tmp_path, source):
    report = _run(source, tmp_path)
    assert report.feed_file is None
    assert report.failed == [(source, report.failed[0][1])]
    assert "not fetched" in report.failed[0][1]
    assert list(tmp_path.iterdir()) == []


def test_fetch_feed_download_failures_are_reported(server, tmp_path):
    report = _run(server.url("/nowhere.xml"), tmp_path)
    assert report.failed == [(server.url("/nowhere.xml"), "HTTP 404 Not Found")]
    assert _run(str(tmp_path / "absent.xml"), tmp_path).failed[0][1].startswith("cannot read")


def test_fetch_a_bad_feed_raises_parse_error(server, tmp_path):
    server.routes["/page.xml"] = Route(b"<html><body>hi</body></html>", "text/html")
    with pytest.raises(ParseError, match=r"page\.xml: not a podcast feed"):
        _run(server.url("/page.xml"), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("source", "name"),
    [
        # Always host and path: `feed.xml` or `rss` would collide between shows.
        ("https://feeds.example.com/shows/soil.rss?token=1", "feeds-example-com-shows-soil.xml"),
        ("https://a.example.com/feed.xml", "a-example-com-feed.xml"),
        ("https://feeds.example.com/Shows/Soil/feed/", "feeds-example-com-shows-soil-feed.xml"),
        ("https://feeds.example.com", "feeds-example-com.xml"),
        ("/tmp/downloads/.hidden.xml", "hidden.xml"),
    ],
)
def test_fetch_feed_file_names(source, name):
    assert feed_file_name(source) == name


def test_fetch_progress_writes_one_line_per_failure_to_stderr(server, tmp_path, capsys):
    server.routes["/ok.vtt"] = Route(b"WEBVTT\n", "text/vtt")
    source = _serve_feed(server, [("a", ["/gone.vtt", "/ok.vtt"])])

    report = fetch(source, tmp_path, timeout_s=2.0)  # progress on; stderr is not a TTY here

    assert report.saved == [LOCAL_FEED, "ok.vtt"]
    err = capsys.readouterr().err
    assert err.splitlines() == [f"failed: {server.url('/gone.vtt')}: HTTP 404 Not Found"]


def test_fetch_a_transcript_named_like_the_feed_does_not_overwrite_it(server, tmp_path):
    server.routes[f"/other/{LOCAL_FEED}"] = Route(b"<tt/>", "application/xml")
    report = _run(_serve_feed(server, [("ep-9", [f"/other/{LOCAL_FEED}"])]), tmp_path)
    assert report.saved == [LOCAL_FEED, "ep-9.xml"]
    assert (tmp_path / "ep-9.xml").read_bytes() == b"<tt/>"


def test_fetch_command_then_ingest_joins_every_transcript_to_its_item(server, tmp_path):
    """What a user does: `podcast-assets fetch URL`, then a refresh reads the feed's metadata."""
    from click.testing import CliRunner

    from podcast_assets import steps
    from podcast_assets.cli import main
    from podcast_assets.rawfiles import scan_raw_dir

    json_body = (
        b'{"version": "1.0.0", "segments": [{"speaker": "Ana", "startTime": 0, "endTime": 2, '
        b'"body": "Hello from episode one."}]}'
    )
    html_body = b"<cite>Ben:</cite><time>0:00</time><p>Hello from episode two.</p>"
    server.routes["/t/one.json"] = Route(json_body, "application/json")
    server.routes["/t/two.html"] = Route(html_body, "text/html; charset=utf-8")
    url = _serve_feed(server, [("guid-1", ["/t/one.json"]), ("guid-2", ["/t/two.html"])])
    raw = tmp_path / "raw"

    result = CliRunner().invoke(main, ["fetch", url, "--raw-dir", str(raw), "--timeout", "2"])
    assert result.exit_code == 0, result.output
    assert "3 saved, 0 unchanged, 0 failed" in result.output

    files, refusals = scan_raw_dir(raw)
    assert refusals == []
    report = steps.ingest.ingest_files(
        tmp_path / "w.duckdb", [(f.episode_id, Path(f.path)) for f in files]
    )
    assert report.rejected == []
    import duckdb

    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT source_file, show_name, title, feed_guid, metadata_source FROM episodes "
            "ORDER BY 1"
        ).fetchall()
    assert rows == [
        ("one.json", "Local show", "Episode 1", "guid-1", "feed"),
        ("two.html", "Local show", "Episode 2", "guid-2", "feed"),
    ]
    again = CliRunner().invoke(main, ["fetch", url, "--raw-dir", str(raw), "--timeout", "2"])
    assert "0 saved, 3 unchanged, 0 failed" in again.output


def test_fetch_never_overwrites_another_shows_file_or_the_users_own(server, tmp_path):
    server.routes["/a/episode-1.json"] = Route(b'{"show": "a"}', "application/json")
    server.routes["/b/episode-1.json"] = Route(b'{"show": "b"}', "application/json")
    server.routes["/a/feed.xml"] = Route(_feed(server, [("a1", ["/a/episode-1.json"])]), None)
    server.routes["/b/feed.xml"] = Route(_feed(server, [("b1", ["/b/episode-1.json"])]), None)
    (tmp_path / "notes.vtt").write_bytes(b"mine")
    server.routes["/c/notes.vtt"] = Route(b"WEBVTT\n", "text/vtt")
    server.routes["/c/feed.xml"] = Route(_feed(server, [("c1", ["/c/notes.vtt"])]), None)

    first = _run(server.url("/a/feed.xml"), tmp_path)
    second = _run(server.url("/b/feed.xml"), tmp_path)
    third = _run(server.url("/c/feed.xml"), tmp_path)

    assert first.saved[1:] == ["episode-1.json"]
    assert second.saved[1:] == ["episode-1-127-0-0-1-b-feed.json"]
    assert third.saved[1:] == ["notes-127-0-0-1-c-feed.vtt"]
    assert (tmp_path / "episode-1.json").read_bytes() == b'{"show": "a"}'
    assert (tmp_path / "notes.vtt").read_bytes() == b"mine"
    again = _run(server.url("/b/feed.xml"), tmp_path)  # its own file: found again, unchanged
    assert again.unchanged[1:] == ["episode-1-127-0-0-1-b-feed.json"]
