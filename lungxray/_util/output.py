"""``--json``: JSON and nothing else on stdout.

While a command runs under :func:`json_stdout`, ``sys.stdout`` is stderr, so whatever else prints
(a library's "Found N images", a stray ``print``) lands on stderr; :func:`emit_json` writes the
one JSON document to the real stdout::

    with json_stdout():
        ...                      # prints go to stderr
        emit_json({"ok": True})  # the only thing on stdout
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

_result_stream: list[TextIO] = []


def json_safe(o: Any) -> Any:
    """JSON-safe: NaN and infinities become null (strict JSON has neither), tuples lists, paths strings, numpy
    scalars and arrays plain Python (the one converter for ``--json`` output and audit evidence)."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {str(k): json_safe(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [json_safe(v) for v in o]
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "item") and callable(o.item) and not isinstance(o, (str, bytes)):  # numpy scalar
        with contextlib.suppress(TypeError, ValueError):
            return json_safe(o.item())
    if hasattr(o, "tolist"):  # numpy array
        return json_safe(o.tolist())
    return o


def dumps(obj: Any) -> str:
    return json.dumps(json_safe(obj), indent=2, allow_nan=False, default=str)


def emit_json(obj: Any) -> None:
    """Write ``obj`` as strict JSON to the real stdout (the one in place before :func:`json_stdout`)."""
    out = _result_stream[-1] if _result_stream else sys.stdout
    out.write(dumps(obj) + "\n")
    out.flush()


@contextlib.contextmanager
def json_stdout() -> Iterator[None]:
    """Everything printed meanwhile goes to stderr; :func:`emit_json` still writes to stdout."""
    _result_stream.append(sys.stdout)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        _result_stream.pop()
