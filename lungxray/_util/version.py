"""The package version and the git revision of the code that runs (``--version``, results' provenance)."""

from __future__ import annotations

import argparse
import functools
import subprocess
from collections.abc import Sequence
from pathlib import Path

from lungxray import __version__


@functools.cache
def source_revision() -> str:
    """The git commit of the lungxray checkout that ran ('+dirty': uncommitted changes to its code).

    Read once per process, at the start of a study run, so it names the code that was loaded."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        if rev.returncode:
            return "unknown (not a git checkout)"
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=here, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        # only the code counts: committed results and reports may change while runs go on
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "lungxray",
                                "reproductions", "setup.cfg", "pyproject.toml"], cwd=top or here,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"



class VersionAction(argparse.Action):
    """``--version``: the package version and the git revision of the code (computed only when asked)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kw):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_text())
        parser.exit()


def version_text() -> str:
    return f"lungxray {__version__} (git revision {source_revision()})"
