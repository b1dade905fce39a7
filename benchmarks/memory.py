"""Memory of a process as the benchmarks report it."""

from __future__ import annotations

import psutil


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
