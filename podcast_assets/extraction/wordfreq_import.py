"""`wordfreq`, imported without the quarter of a second its import spends finding its folder.

wordfreq finds its data folder with `locate.this_dir()`, which calls `inspect.stack()`: that
reads the source lines of every frame on the stack and searches `sys.modules` for each one's
module. Imported at the end of a long chain of imports (the CLI, Dagster, spaCy: ~70 frames,
~3,000 modules) that one call took 0.2-0.3 s of every process that loads the definitions.
During the import, `this_dir` is answered from the caller's frame alone, as `locate` itself
answers it (the directory of the calling file); afterwards `locate` is as it was.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import locate


def _this_dir() -> Path:
    """`locate.this_dir()` for a caller defined in a file (wordfreq's `data_path` is)."""
    caller = sys._getframe(1).f_globals
    if "__file__" in caller:
        return Path(os.path.abspath(caller["__file__"])).parent
    return Path(os.path.abspath(os.getcwd()))


@contextlib.contextmanager
def _frame_based_this_dir() -> Iterator[None]:
    original = locate.this_dir
    locate.this_dir = _this_dir
    try:
        yield
    finally:
        locate.this_dir = original


with _frame_based_this_dir():
    import wordfreq

__all__ = ["wordfreq"]
