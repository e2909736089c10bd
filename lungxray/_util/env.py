"""Every environment variable lungxray reads, parsed in one place.

Each variable has one documented form; ``check_environment`` parses them all at the start of a command and
refuses a value that is not of that form by name (``error: LUNGXRAY_RAM_BUDGET='8 gigs': ...``), instead of
misreading it or silently putting a default in its place. The readers below are what the rest of the
package calls; they raise the same ``EnvironmentValueError``.

==========================  =========  ======================================================================
variable                    form       meaning
==========================  =========  ======================================================================
``LUNGXRAY_DATA``           folder     where datasets are (``--data-dir`` wins)
``LUNGXRAY_CACHE``          folder     the decode cache (default ``~/.cache/lungxray``)
``LUNGXRAY_RAM_BUDGET``     bytes      decoded images held in memory: ``8G``, ``512M``, ``100K``, ``1000000``
``LUNGXRAY_MAX_PIXELS``     count      pixel limit of an image header (default 50 million; ``5e7`` accepted)
``LUNGXRAY_DEBUG``          flag       tracebacks instead of ``error:`` lines
``LUNGXRAY_NO_PROGRESS``    flag       no progress bars
``LUNGXRAY_TF_LOGS``        flag       keep TensorFlow's start-up lines
==========================  =========  ======================================================================

A flag is ``1``, ``true``, ``yes`` or ``on`` (set) or ``0``, ``false``, ``no``, ``off`` or empty (not set), in
any case. An empty folder, bytes or count variable counts as unset. ``CI`` (set by CI services, not ours) is
read leniently: any value but empty, ``0`` or ``false`` turns progress bars off. Other tools' folders read
here (``TORCH_HOME``, ``XDG_CACHE_HOME``, for ``lungxray weights --check``) go through ``folder`` too;
``KERAS_HOME`` and ``TF_CPP_MIN_LOG_LEVEL`` are read by Keras and TensorFlow themselves.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from lungxray.errors import LungxrayError

DATA, CACHE, RAM_BUDGET, MAX_PIXELS = "LUNGXRAY_DATA", "LUNGXRAY_CACHE", "LUNGXRAY_RAM_BUDGET", "LUNGXRAY_MAX_PIXELS"
DEBUG, NO_PROGRESS, TF_LOGS = "LUNGXRAY_DEBUG", "LUNGXRAY_NO_PROGRESS", "LUNGXRAY_TF_LOGS"
FLAGS = (DEBUG, NO_PROGRESS, TF_LOGS)
FOLDERS = (DATA, CACHE)
_ON, _OFF = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
_SCALE = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_BYTES = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


class EnvironmentValueError(LungxrayError):
    """An environment variable lungxray reads holds a value it does not accept."""


def _raw(name: str) -> str:
    return os.environ.get(name, "").strip()


def _refuse(name: str, expected: str) -> EnvironmentValueError:
    return EnvironmentValueError(f"{name}={os.environ.get(name, '')!r} is not {expected}: set it to that, or unset "
                                 f"it (`unset {name}`) for the default.")


def flag(name: str) -> bool:
    """A flag variable: True for 1/true/yes/on, False for 0/false/no/off or unset."""
    raw = _raw(name).lower()
    if raw in _ON:
        return True
    if raw in _OFF:
        return False
    raise _refuse(name, "a flag (1, true, yes, on; or 0, false, no, off)")


def folder(name: str) -> Path | None:
    """A folder variable, ``~`` expanded; None when unset or empty."""
    raw = _raw(name)
    return Path(raw).expanduser() if raw else None


def size_in_bytes(name: str) -> int | None:
    """A byte count: a number with an optional K, M, G or T suffix (powers of 1024; ``B``/``iB`` allowed)."""
    raw = _raw(name)
    if not raw:
        return None
    m = _BYTES.match(raw)
    if m is None:
        raise _refuse(name, "a size in bytes (for example 8G, 512M, 100K or 1000000)")
    return int(float(m.group(1)) * _SCALE[m.group(2).upper()])


def count(name: str) -> int | None:
    """A positive whole number (``50000000``, ``50_000_000`` or ``5e7``); None when unset or empty."""
    raw = _raw(name)
    if not raw:
        return None
    try:
        value = float(raw.replace("_", ""))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 1 or value != int(value):
        raise _refuse(name, "a positive whole number (for example 50000000 or 5e7)")
    return int(value)


def ci() -> bool:
    """Whether a CI service set ``CI`` (read leniently: it is not lungxray's variable)."""
    return _raw("CI").lower() not in ("", "0", "false", "no", "off")


def check_environment() -> None:
    """Parse every variable lungxray reads; one error naming each value that is not of its form."""
    problems = []
    for name, parse in ([(n, flag) for n in FLAGS] + [(RAM_BUDGET, size_in_bytes), (MAX_PIXELS, count)]):
        try:
            parse(name)
        except EnvironmentValueError as exc:
            problems.append(str(exc))
    if problems:
        raise EnvironmentValueError("\n".join(problems))
