"""User-facing errors: printed as one clear message, no traceback, non-zero exit."""

from __future__ import annotations


class LungxrayError(Exception):
    """An expected failure caused by input or environment, with the way out in its text."""

    exit_code = 2


class DataNotFoundError(LungxrayError):
    pass


class DataError(LungxrayError):
    pass


class WeightsError(LungxrayError):
    pass


class ResultsError(LungxrayError):
    pass


class DiskFullError(LungxrayError):
    """Not enough room for what a run writes (checked before work starts, or a write that found the disk full)."""

    exit_code = 1


def message(exc: BaseException) -> str:
    """The text to print after ``error:``: the message itself, never a Python repr.

    ``str(KeyError("x"))`` is ``'x'`` with quotes, and ``str(OSError)`` reads ``[Errno 2] No such file or
    directory: 'p'``; these become ``x`` and ``p: No such file or directory``."""
    if isinstance(exc, KeyError):
        if len(exc.args) == 1 and isinstance(exc.args[0], str):
            arg = exc.args[0]
            return arg if " " in arg.strip() else f"missing key {arg}"
        return f"missing key {', '.join(str(a) for a in exc.args)}"
    if isinstance(exc, OSError) and exc.strerror:
        names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
        return f"{' -> '.join(names)}: {exc.strerror}" if names else exc.strerror
    text = str(exc).strip()
    return text or type(exc).__name__
