"""One short declarative module per reproduced study; run with ``python -m reproductions.<id>``.

Studies register with lungxray through the ``lungxray.studies`` entry points in setup.cfg.
"""

import pkgutil as _pkgutil
import sys as _sys


def _refuse_an_unknown_study() -> None:
    """``python -m reproductions.<typo>``: Python imports this package before it looks for the module, so a
    clear message (the studies, the closest one) replaces its bare 'No module named reproductions.<typo>'."""
    argv = getattr(_sys, "orig_argv", [])
    target = argv[argv.index("-m") + 1] if "-m" in argv[:-1] else ""
    if not target.startswith(__name__ + "."):
        return
    name = target.split(".", 1)[1]
    studies = sorted(m.name for m in _pkgutil.iter_modules(__path__))
    if name not in studies:
        from lungxray.spec.study import unknown_study_message

        print(f"error: {unknown_study_message(name, studies)}", file=_sys.stderr)
        raise SystemExit(2)


_refuse_an_unknown_study()
