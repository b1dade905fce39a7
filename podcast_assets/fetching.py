"""`podcast-assets fetch`: a feed and its transcripts into the raw directory.

Everything downloaded is untrusted: only http(s) URLs are requested (after every redirect
too), bodies are streamed and cut at a byte limit, media and archives are refused from their
content type, and a file appears in the raw directory only once it is complete (a hidden temp
file is renamed into place), so a refresh running alongside never ingests half a transcript.
A file whose bytes did not change is not rewritten: its mtime, and so planning, stay put.
One failed download is one line of the report and never stops the others.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import httpx
from tqdm import tqdm

from podcast_assets.fetch_names import Manifest, feed_file_name, plan_names
from podcast_assets.parsing.errors import MAX_FILE_BYTES
from podcast_assets.parsing.feeds import Feed, parse_feed

_HTTP_SCHEMES = ("http", "https")
_ACCEPTED_TYPES = frozenset(
    {
        "application/json",
        "application/x-subrip",
        "application/srt",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/octet-stream",
    }
)
_REFUSED_MAJOR = ("audio", "video", "image", "font", "model")
_CHUNK = 64 * 1024


@dataclass
class FetchReport:
    """What one fetch did; `saved` and `unchanged` name files in the raw directory (the feed
    file included), `failed` pairs a URL (or the feed source) with the reason."""

    feed_file: str | None = None
    saved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


class FetchError(Exception):
    """One download that cannot be completed; `str()` is the reason a user reads."""


@dataclass(frozen=True, slots=True)
class _Limits:
    timeout_s: float
    max_bytes: int
    max_redirects: int


# --- names ------------------------------------------------------------------------------------


# --- downloads --------------------------------------------------------------------------------


def _check_content_type(header: str | None) -> None:
    """Refuse what cannot be a transcript before reading it: audio, video, archives."""
    mime = (header or "").split(";")[0].strip().lower()
    if not mime or mime.startswith("text/") or mime in _ACCEPTED_TYPES:
        return
    if mime.endswith(("+json", "+xml")) and "zip" not in mime:
        return
    if mime.split("/")[0] in _REFUSED_MAJOR:
        raise FetchError(f"content type {mime} is media, not a transcript; refused")
    raise FetchError(f"content type {mime} is not a transcript format; refused")


@contextlib.contextmanager
def _response(client: httpx.Client, url: str, limits: _Limits) -> Iterator[httpx.Response]:
    """The final response of `url`, redirects followed by hand so each hop's scheme is checked."""
    # Uncompressed: a small gzip body may decode to far more than the limit in one chunk.
    request = client.build_request("GET", url, headers={"Accept-Encoding": "identity"})
    for _ in range(limits.max_redirects + 1):
        if request.url.scheme not in _HTTP_SCHEMES:
            raise FetchError(f"redirected to {str(request.url)!r}, not an http(s) URL; refused")
        response = client.send(request, stream=True, follow_redirects=False)
        if response.next_request is None:
            try:
                yield response
            finally:
                response.close()
            return
        response.close()
        request = response.next_request
    raise FetchError(f"more than {limits.max_redirects} redirects")


def _stream_body(response: httpx.Response, out: IO[bytes], limits: _Limits) -> None:
    """Copy the body to `out`, stopping past the limit or the overall deadline."""
    if not response.is_success:
        raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
    _check_content_type(response.headers.get("content-type"))
    too_big = FetchError(f"larger than the {limits.max_bytes}-byte limit")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise too_big
    deadline = time.monotonic() + limits.timeout_s * 4
    received = 0
    for chunk in response.iter_bytes(_CHUNK):
        received += len(chunk)
        if received > limits.max_bytes:
            raise too_big
        if time.monotonic() > deadline:  # a server trickling bytes never trips the read timeout
            raise httpx.ReadTimeout("too slow", request=response.request)
        out.write(chunk)


def download(client: httpx.Client, url: str, raw_dir: Path, name: str, limits: _Limits) -> bool:
    """Save `url` as `raw_dir/name`; False when the bytes there were already identical."""
    if urlsplit(url).scheme.lower() not in _HTTP_SCHEMES:
        raise FetchError("not an http(s) URL; never fetched")
    fd, temp = tempfile.mkstemp(dir=raw_dir, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, _response(client, url, limits) as response:
            _stream_body(response, out, limits)
        return _publish(Path(temp), raw_dir / name)
    except httpx.TimeoutException:
        raise FetchError(f"timed out after {limits.timeout_s:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FetchError(f"download failed: {exc or type(exc).__name__}") from None
    except OSError as exc:
        raise FetchError(f"could not save {name}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _publish(temp: Path, target: Path) -> bool:
    """Rename `temp` over `target` unless `target` already holds the same bytes."""
    if _same_bytes(temp, target):
        return False
    os.replace(temp, target)
    return True


def _same_bytes(new: Path, existing: Path) -> bool:
    """Whether `existing` is a regular file with the bytes of `new` (a symlink never is)."""
    try:
        info = os.lstat(existing)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size != new.stat().st_size:
        return False
    with new.open("rb") as a, existing.open("rb") as b:
        while True:
            left, right = a.read(_CHUNK), b.read(_CHUNK)
            if left != right:
                return False
            if not left:
                return True


def save_bytes(data: bytes, raw_dir: Path, name: str) -> bool:
    """Write `data` as `raw_dir/name` atomically; False when it already held these bytes."""
    fd, temp = tempfile.mkstemp(dir=raw_dir, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return _publish(Path(temp), raw_dir / name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


# --- the command ------------------------------------------------------------------------------


def _read_local(path: Path, max_bytes: int) -> bytes:
    """A local feed, refusing what is not a regular file (a FIFO would block forever)."""
    try:
        info = path.stat()
    except OSError as exc:
        raise FetchError(f"cannot read the feed file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FetchError("the feed path is not a regular file")
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FetchError(f"larger than the {max_bytes}-byte limit")
    return data


def _feed_bytes(source: str, client: httpx.Client, limits: _Limits) -> bytes:
    scheme = urlsplit(source).scheme.lower()
    if scheme in _HTTP_SCHEMES:
        with tempfile.TemporaryFile() as out:
            try:
                with _response(client, source, limits) as response:
                    _stream_body(response, out, limits)
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {limits.timeout_s:g} s") from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FetchError(f"download failed: {exc or type(exc).__name__}") from None
            out.seek(0)
            return out.read()
    if len(scheme) > 1:  # one letter is a Windows drive, not a scheme
        raise FetchError(f"{scheme}: URLs are not fetched; give an http(s) URL or a file path")
    return _read_local(Path(source), limits.max_bytes)


def fetch(
    source: str,
    raw_dir: Path,
    *,
    limit: int | None = None,
    timeout_s: float = 30.0,
    max_bytes: int = MAX_FILE_BYTES,
    max_redirects: int = 5,
    progress: bool = True,
    client: httpx.Client | None = None,
) -> FetchReport:
    """Save the feed at `source` (an http(s) URL or a local path) and the transcripts of its
    first `limit` items into `raw_dir`, so the next refresh ingests them with their metadata.

    Raises ParseError when the feed itself is not a usable feed; every other problem is a
    `failed` line of the report. Failures are also written to stderr when `progress` is on.
    """
    limits = _Limits(timeout_s, max_bytes, max_redirects)
    report = FetchReport()
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(
                httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=True)
            )
        try:
            raw = _feed_bytes(source, client, limits)
        except FetchError as exc:
            _fail(report, source, str(exc), progress)
            return report
        feed = parse_feed(raw, source)
        _save_feed(report, raw, raw_dir, source, progress)
        for problem in feed.problems:
            _fail(report, source, problem, progress)
        _download_all(report, feed, client, raw_dir, limit, limits, progress)
    return report


def _save_feed(report: FetchReport, raw: bytes, raw_dir: Path, source: str, progress: bool) -> None:
    name = feed_file_name(source)
    try:
        raw_dir.mkdir(parents=True, exist_ok=True)
        changed = save_bytes(raw, raw_dir, name)
    except OSError as exc:
        _fail(report, source, f"could not save {name}: {exc.strerror or exc}", progress)
        return
    report.feed_file = name
    (report.saved if changed else report.unchanged).append(name)


def _download_all(
    report: FetchReport,
    feed: Feed,
    client: httpx.Client,
    raw_dir: Path,
    limit: int | None,
    limits: _Limits,
    progress: bool,
) -> None:
    """Every transcript of the first `limit` items, each URL once, in feed order."""
    names = plan_names(feed, reserved=report.feed_file or "")
    if report.feed_file is None:
        return  # the raw directory cannot be written: the feed's failure line says why
    items = feed.items if limit is None else feed.items[: max(limit, 0)]
    urls = list(dict.fromkeys(t.url for item in items for t in item.transcripts))
    fetched = Manifest(raw_dir)
    show_bar = progress and sys.stderr.isatty()
    with tqdm(urls, desc="transcripts", unit="file", file=sys.stderr, disable=not show_bar) as bar:
        for url in bar:
            name = fetched.name_for(url, names[url], Path(report.feed_file).stem)
            try:
                changed = download(client, url, raw_dir, name, limits)
            except FetchError as exc:
                _fail(report, url, str(exc), progress)
                continue
            fetched.record(name, url)
            (report.saved if changed else report.unchanged).append(name)
    fetched.save()


def _fail(report: FetchReport, url: str, reason: str, progress: bool) -> None:
    report.failed.append((url, reason))
    if progress:
        tqdm.write(f"failed: {url}: {reason}", file=sys.stderr)
