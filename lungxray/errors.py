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
