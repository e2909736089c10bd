"""TensorFlow's start-up log lines, silenced by default.

TensorFlow 2.21 writes its start-up lines ("All log messages before absl::InitializeLog() ...",
"oneDNN custom operations are on", "Could not find cuda drivers", "failed call to cuInit") from
native code straight to file descriptor 2, before ``TF_CPP_MIN_LOG_LEVEL`` is read, so the
environment variable alone does not hide them. :func:`quiet_tensorflow` therefore

1. sets ``TF_CPP_MIN_LOG_LEVEL=2`` unless the user set it (hides TensorFlow's later C++ info and
   warning lines);
2. makes the first ``import tensorflow`` (also through ``import keras``) run with file descriptor 2
   sent to a temporary file, and probes the devices inside it (that probe prints the CUDA lines on a
   machine without a GPU); the captured text is written out after all if the import fails;
3. sets the Python ``tensorflow`` logger and absl's logging to ERROR.

Call it first thing in a command's ``main``, before anything imports TensorFlow:
``lungxray.cli.main.main`` does, and a study's command line can::

    from lungxray._util.quiet import quiet_tensorflow
    quiet_tensorflow(verbose=args.verbose_tf)

The lines are kept with ``verbose=True`` (``python -m lungxray --verbose-tf ...``), with
``LUNGXRAY_TF_LOGS=1``, or when the user set ``TF_CPP_MIN_LOG_LEVEL`` to 0 or 1 themselves.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

from lungxray._util import env

ENV_KEEP = env.TF_LOGS
_LEVEL = "TF_CPP_MIN_LOG_LEVEL"


def user_tf_log_level() -> str | None:
    """TF_CPP_MIN_LOG_LEVEL as the user gave it (``lungxray/__init__`` sets a default at import)."""
    import lungxray

    return getattr(lungxray, "_USER_TF_LOG_LEVEL", os.environ.get(_LEVEL))


def wants_tf_logs(verbose: bool = False) -> bool:
    """Whether TensorFlow's start-up lines are to be kept."""
    try:
        keep = env.flag(ENV_KEEP)
    except env.EnvironmentValueError:  # refused by name by the command's check_environment, once it starts
        keep = False
    return verbose or keep or user_tf_log_level() in ("0", "1")


@contextlib.contextmanager
def stderr_captured() -> Iterator[None]:
    """File descriptor 2 goes to a temporary file meanwhile (native code writes there, not through
    ``sys.stderr``); what was captured is written to stderr after all if the block raises."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded interpreter): nothing to capture
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            tmp.seek(0)
            sys.stderr.write(tmp.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's own loader, run with stderr captured; everything else is delegated to it."""

    def __init__(self, inner: importlib.abc.Loader):
        self._inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        with stderr_captured():
            self._inner.exec_module(module)
            with contextlib.suppress(Exception):  # the CUDA probe prints its lines once, here
                module.config.list_physical_devices("GPU")

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` once, the normal way, and hands it a quiet loader."""

    def find_spec(self, fullname: str, path=None, target=None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "tensorflow":
            return None
        uninstall()
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def uninstall() -> None:
    """Remove the import hook (if still there)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _QuietFinder)]


def quiet_tensorflow(verbose: bool = False) -> bool:
    """Silence TensorFlow's start-up and info lines (see the module's text). Returns whether they are
    silenced. Safe to call more than once, and after TensorFlow is imported (then only 1 and 3 apply)."""
    if wants_tf_logs(verbose):
        uninstall()
        if user_tf_log_level() is None:
            os.environ[_LEVEL] = "0"  # undo lungxray/__init__'s default
        return False
    os.environ.setdefault(_LEVEL, "2")
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with contextlib.suppress(ImportError):  # absl comes with TensorFlow
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    return True
