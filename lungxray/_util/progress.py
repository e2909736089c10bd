"""What a long command says while it works: progress bars (tqdm) on stderr for long loops a user waits
on (decoding a dataset, caching frozen-backbone features), one line per stage with its time
(:func:`stage`), and the verbosity Keras' own progress gets (:func:`keras_verbosity`).

Shown only when stderr is a terminal; never under ``-q`` (a command calls :func:`set_quiet`),
when the environment variable ``CI`` is set, or with ``LUNGXRAY_NO_PROGRESS=1``. A bar that is
not shown costs nothing and changes nothing: the loop runs exactly as without it.

    from lungxray._util.progress import progress
    for r in progress(records, "decoding", total=len(records)):
        ...
    bar = progress(None, "features", total=n_batches)   # a bar updated by hand
    bar.update(1); bar.close()
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

from lungxray._util import env

T = TypeVar("T")
_quiet = False
log = logging.getLogger("lungxray")


def set_quiet(quiet: bool = True) -> None:
    """Turn progress bars off (``-q``) or back on for this process."""
    global _quiet
    _quiet = quiet


def enabled() -> bool:
    """Whether a bar would be shown now."""
    if _quiet or env.ci() or env.flag(env.NO_PROGRESS):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def progress(iterable: Iterable[T] | None, desc: str, total: int | None = None, unit: str = "it") -> tqdm:
    """``iterable`` wrapped in a tqdm bar on stderr (a pass-through when bars are off, see :func:`enabled`);
    with ``iterable=None``, a bar to ``update(n)`` and ``close()`` by hand."""
    return tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr, disable=not enabled(),
                leave=False, dynamic_ncols=True)


def keras_verbosity(quiet: bool) -> int:
    """``verbose`` for Keras' fit: 0 under ``-q``; 1 (a bar per batch with its ETA) when stdout, where Keras
    writes, is a terminal and bars are not turned off; else 2 (one line per epoch, for logs and CI)."""
    if quiet:
        return 0
    off = env.ci() or env.flag(env.NO_PROGRESS)
    try:
        return 1 if sys.stdout.isatty() and not off else 2
    except (AttributeError, ValueError):
        return 2


@contextlib.contextmanager
def stage(what: str) -> Iterator[None]:
    """A stage of a run the user waits on: "<what> ..." when it starts and "<what>: <seconds>" when it ends, at
    INFO on the ``lungxray`` logger (a run under ``-q`` logs warnings only, so says neither)."""
    started = time.perf_counter()
    log.info("%s ...", what)
    yield
    log.info("%s: done in %s", what, duration(time.perf_counter() - started))


def duration(seconds: float) -> str:
    """12.3 s, 4 min 05 s, 1 h 02 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


class StageFormatter(logging.Formatter):
    """Progress (INFO) lines as they are; a warning or an error prefixed with its level: 'warning: ...'."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if record.levelno == logging.INFO else f"{record.levelname.lower()}: {text}"


def log_to_stderr(quiet: bool) -> None:
    """A run's logging: progress lines and warnings on stderr (warnings only under ``-q``)."""
    handler = logging.StreamHandler()
    handler.setFormatter(StageFormatter("%(message)s"))
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, handlers=[handler])
