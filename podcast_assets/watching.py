"""`podcast-assets watch`: refresh whenever the raw folder changes, from one warm process.

A `refresh` from the command line pays, every time, for importing Dagster and spaCy, opening
the instance and loading the models: most of a one-file refresh. A watcher pays for them once
and then runs each refresh exactly as the CLI does (`preflight.check`, then
`runner.run_refresh`), through the same instance, so the UI shows its runs like any other.

Rows are only ever written by today's code: when a file of the package changes (a rule, the
gazetteer or the taxonomy, whose hashes are in the extract step's code version), the watcher
starts itself again before its next refresh instead of running code it no longer matches.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

import podcast_assets
from podcast_assets import preflight
from podcast_assets.preflight import RefreshSummary
from podcast_assets.settings import WarehouseTarget

PACKAGE_DIR = Path(podcast_assets.__file__).resolve().parent
# Files whose change restarts the watcher: code, and the data and SQL files the code reads.
CODE_SUFFIXES = (".py", ".yaml", ".sql")
DEFAULT_SETTLE_S = 0.5
DEFAULT_RETRY_S = 30.0


@dataclass(eq=False)  # watchdog keeps handlers in a set: hashed by identity
class Changes(FileSystemEventHandler):
    """Collects file-system events: raw-folder changes, and changes to the package's code."""

    raw_dir: Path
    code_dir: Path = PACKAGE_DIR
    pending: threading.Event = field(default_factory=threading.Event)
    code_changed: threading.Event = field(default_factory=threading.Event)
    last_event: float = 0.0

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads (our own refresh reads every raw file) change nothing
        for raw_path in (event.src_path, getattr(event, "dest_path", "")):
            path = Path(os.fsdecode(raw_path)) if raw_path else None
            if path is None or path.name.startswith("."):
                continue
            if path.parent == self.raw_dir:
                self.last_event = time.monotonic()
                self.pending.set()
            elif path.suffix in CODE_SUFFIXES and path.is_relative_to(self.code_dir):
                self.code_changed.set()
                self.pending.set()

    def settled(self, settle_s: float, stop: threading.Event) -> bool:
        """Wait until no raw-folder event for `settle_s` (a copy in progress writes many);
        False when `stop` was set meanwhile."""
        while not stop.is_set():
            quiet_for = time.monotonic() - self.last_event
            if quiet_for >= settle_s:
                return True
            stop.wait(settle_s - quiet_for)
        return False


def start_observer(changes: Changes, *, poll_s: float | None = None) -> BaseObserver:
    """inotify (or the platform's own events), else polling every `poll_s` seconds: for
    folders whose file system sends no events (network shares, some container mounts)."""
    observer: BaseObserver = PollingObserver(timeout=poll_s) if poll_s else Observer()
    observer.schedule(changes, str(changes.raw_dir), recursive=False)
    if changes.code_dir.is_dir():
        observer.schedule(changes, str(changes.code_dir), recursive=True)
    observer.daemon = True
    observer.start()
    return observer


def watch_loop(
    changes: Changes,
    refresh: Callable[[], RefreshSummary | None],
    echo: Callable[[str], None],
    *,
    settle_s: float = DEFAULT_SETTLE_S,
    retry_s: float = DEFAULT_RETRY_S,
    stop: threading.Event | None = None,
) -> str:
    """Refresh now, then after every settled change, until `stop` is set (then "stopped"),
    a refresh is interrupted ("interrupted") or the code changed ("restart").

    `refresh` returns the refresh's summary, or None when it failed (and said why: a
    warehouse another writer kept busy, a full disk): it is tried again after `retry_s`
    unless a change comes first, so a dropped file is never left waiting for the next one.
    """
    stop = stop or threading.Event()
    changes.pending.set()
    retry_at: float | None = None
    while not stop.is_set():
        if not changes.pending.wait(timeout=0.5):
            if retry_at is not None and time.monotonic() >= retry_at:
                changes.pending.set()
            continue
        if not changes.settled(settle_s, stop):
            break
        changes.pending.clear()
        if changes.code_changed.is_set():
            return "restart"
        started = time.strftime("%H:%M:%S")
        try:
            summary = refresh()
        except KeyboardInterrupt:  # a signal outside the runs (they report it themselves)
            return "interrupted"
        retry_at = time.monotonic() + retry_s if summary is None else None
        if summary is not None:
            echo(f"[{started}] " + "\n".join(summary.lines()))
            if summary.interrupted:
                return "interrupted"
        elif retry_s:
            echo(f"trying again in {retry_s:g} s, or at the next change")
        echo(f"watching {changes.raw_dir} for changes (Ctrl-C to stop)")
    return "stopped"


def warm_refresh(
    raw_dir: Path,
    target: WarehouseTarget,
    lock_timeout_s: float,
    search_index: bool,
    explain: Callable[[Exception, str], int],
    echo: Callable[[str], None],
) -> Callable[[], RefreshSummary | None]:
    """Import Dagster and the definitions, open the instance and load the models now, once;
    then a refresh is the CLI's own without them. A failed refresh is `explain`ed, and None."""
    from podcast_assets.definitions import defs
    from podcast_assets.runner import open_instance, run_refresh

    instance = open_instance(echo)
    preload_models()

    def refresh() -> RefreshSummary | None:
        try:
            scanned, summary = preflight.check(
                raw_dir, target, lock_timeout_s, search_index=search_index
            )
            if summary is None:
                summary = run_refresh(
                    defs,
                    raw_dir,
                    target,
                    instance,
                    lock_timeout_s=lock_timeout_s,
                    echo=echo,
                    search_index=search_index,
                    scanned=scanned,
                )
        except Exception as exc:
            explain(exc, "refresh")
            return None
        return summary

    return refresh


def preload_models() -> None:
    """What a refresh would load on its first use: the English pipeline (and its topic
    matcher), the gazetteer, the word list and the language identifier. Forked extraction
    workers share them with this process."""
    from podcast_assets.extraction import load_pipeline
    from podcast_assets.extraction.gazetteer import load_gazetteer
    from podcast_assets.extraction.keyphrases import wordfreq_language
    from podcast_assets.extraction.topics import topic_matcher
    from podcast_assets.language import preload_identifier

    topic_matcher(load_pipeline())
    load_gazetteer()
    wordfreq_language("en")
    preload_identifier()


def restart() -> None:
    """Replace this process with a fresh one, same command line: new code, same pid."""
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
