"""Progress bars (tqdm) on stderr, for long loops a user waits on: decoding a dataset, caching
frozen-backbone features.

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

import os
import sys
from collections.abc import Iterable
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
_quiet = False


def set_quiet(quiet: bool = True) -> None:
    """Turn progress bars off (``-q``) or back on for this process."""
    global _quiet
    _quiet = quiet


def enabled() -> bool:
    """Whether a bar would be shown now."""
    if _quiet or os.environ.get("CI") or os.environ.get("LUNGXRAY_NO_PROGRESS", "").strip() not in ("", "0"):
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
