"""Memory of a process and its descendants, as the benchmarks report it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import psutil

# Reading PSS costs the kernel ~5 ms per large process, so sampling every 100 ms took ~15% of a
# core from the phase being measured; memory peaks last far longer than a second. A phase that
# ends within its first second (a no-op refresh) would get one sample, taken as its process
# starts (a few MB, rounded to 0 at times): the interval starts at FIRST_SAMPLE_S and doubles.
SAMPLE_EVERY_S = 1.0
FIRST_SAMPLE_S = 0.05


def pss(process: psutil.Process) -> int:
    """PSS from /proc/<pid>/smaps_rollup, which the kernel sums for us (psutil reads the
    whole smaps); RSS where that file is unreadable."""
    try:
        with open(f"/proc/{process.pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return process.memory_info().rss


@dataclass
class Peak:
    """The highest PSS and sum of RSS seen over a process tree, in bytes."""

    pss: int = 0
    rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)


@contextlib.contextmanager
def peak_memory(pid: int) -> Iterator[Peak]:
    """Sample the tree under `pid` in a thread until the block ends: every second, after
    samples 0.05, 0.1, 0.2, ... s apart in its first second.

    spaCy's workers are forked and share the parent's pages, so the sum of RSS counts the
    model once per process; PSS (proportional set size) splits shared pages between them.
    """
    peak = Peak()

    def sample() -> None:
        try:
            parent = psutil.Process(pid)
        except psutil.NoSuchProcess:
            return
        interval = FIRST_SAMPLE_S
        while not peak._stop.is_set():
            with contextlib.suppress(psutil.Error):
                tree = [parent, *parent.children(recursive=True)]
                peak.pss = max(peak.pss, sum(pss(p) for p in tree))
                peak.rss = max(peak.rss, sum(p.memory_info().rss for p in tree))
            peak._stop.wait(interval)
            interval = min(SAMPLE_EVERY_S, interval * 2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        peak._stop.set()
        sampler.join()
