"""Registered tolerances: what each published number is held to, fixed in a committed file before results.

A study module declares, per published number, the tolerance (the smallest gap that matters for the
paper's claim), its scale and a written reason, and per experiment one primary row and the paper's
test-set size. ``python -m lungxray register STUDY --note WHY`` copies those declarations into
``registration.json`` beside the study modules, dated and with the sha256 of the entries; committing it makes
the registration, and any later change to it, a visible, dated change in the history. ``lungxray check`` fails
when a study module's declarations differ from the registration, or when the file's entries no longer match
their hash (edited by hand), and names this command as the way out.

TensorFlow- and numpy-free.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.util
import json
import os
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from lungxray.errors import ResultsError
from lungxray.spec.study import ENTRY_POINT_GROUP, Study

SCHEMA = "lungxray.registration/1"
FILE = "registration.json"
ENV = "LUNGXRAY_REGISTRATION"  # another registration file (tests)


def declared(study: Study) -> dict[str, Any]:
    """What the study module declares now, in the registration's form."""
    out: dict[str, Any] = {}
    for exp in study.experiments:
        pub = exp.published
        rows = {pm.row_id: {"tolerance": float(pm.tolerance), "reason": pm.tolerance_reason}
                for pm in (*pub.metrics, *pub.log_metrics())}
        out[exp.name] = {"primary": pub.primary_row_id(), "paper_test_images": pub.test_size,
                         "paper_test_counts": dict(pub.test_counts), "rows": rows}
    return out


def digest(entries: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(entries, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def path_for(study_id: str) -> Path:
    """The registration file of a study: ``$LUNGXRAY_REGISTRATION``, else ``registration.json`` in the package
    that holds its study module (``reproductions/`` for the five studies here)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.load().id == study_id:
            package = ep.module.partition(".")[0]
            spec = importlib.util.find_spec(package)
            if spec is not None and spec.submodule_search_locations:
                return Path(list(spec.submodule_search_locations)[0]) / FILE
            if spec is not None and spec.origin:
                return Path(spec.origin).with_name(FILE)
    raise KeyError(f"study {study_id!r} is not registered through the {ENTRY_POINT_GROUP!r} entry points")


def read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {"schema": SCHEMA, "studies": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not readable JSON ({exc}); restore it from git") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ResultsError(f"{path}: not a lungxray registration file (expected schema {SCHEMA!r})")
    return data


def register(study: Study, note: str, today: _dt.date | None = None) -> Path:
    """Write the study's declarations into its registration file, dated, with their hash."""
    if not note.strip():
        raise ValueError("say why the registration changes (--note): the note is part of the dated record")
    missing = [f"{exp.name} {pm.row_id}" for exp in study.experiments for pm in exp.published.metrics
               if not pm.tolerance_reason.strip()]
    missing += [f"{exp.name}: no primary row (Published.primary)" for exp in study.experiments
                if exp.published.metrics and exp.published.primary not in {pm.key for pm in exp.published.metrics}]
    if missing:
        raise ValueError(f"{study.id}: every tolerance needs a written reason (PublishedMetric.tolerance_reason) "
                         f"and every experiment a primary row; missing: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    path = path_for(study.id)
    data = read(path)
    entries = declared(study)
    previous = data["studies"].get(study.id)
    history = list(previous.get("history", [])) if previous else []
    if previous:
        history.append({"registered": previous["registered"], "note": previous["note"], "sha256": previous["sha256"]})
    data["studies"][study.id] = {"registered": (today or _dt.date.today()).isoformat(), "note": note.strip(),
                                 "sha256": digest(entries), "history": history, "experiments": entries}
    data["studies"] = dict(sorted(data["studies"].items()))
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def differences(study: Study) -> list[str]:
    """Every way the study module's declarations differ from its registration (empty: they agree)."""
    path = path_for(study.id)
    way_out = (f"if the change is intended, re-register with `python -m lungxray register {study.id} --note "
               f"'<why>'` and commit {path.name} (the commit dates the change)")
    entry = read(path)["studies"].get(study.id)
    if entry is None:
        return [f"{study.id}: no registered tolerances in {path}; {way_out}"]
    if digest(entry["experiments"]) != entry["sha256"]:
        return [f"{study.id}: {path} was edited by hand (its entries no longer match their sha256 "
                f"{entry['sha256'][:12]}); {way_out}"]
    out = []
    now, then = declared(study), entry["experiments"]
    for exp in sorted(set(now) | set(then)):
        a, b = now.get(exp), then.get(exp)
        if a is None or b is None:
            out.append(f"{study.id}/{exp}: {'not in the study module' if a is None else 'not registered'}")
            continue
        for field in ("primary", "paper_test_images", "paper_test_counts"):
            if a[field] != b[field]:
                out.append(f"{study.id}/{exp}: {field} is {a[field]!r} in the study module, {b[field]!r} "
                           f"registered on {entry['registered']}")
        for rid in sorted(set(a["rows"]) | set(b["rows"])):
            x, y = a["rows"].get(rid), b["rows"].get(rid)
            if x is None or y is None:
                out.append(f"{study.id}/{exp} {rid}: {'not declared' if x is None else 'not registered'}")
            elif x["tolerance"] != y["tolerance"]:
                out.append(f"{study.id}/{exp} {rid}: tolerance {x['tolerance']:g} in the study module, "
                           f"{y['tolerance']:g} registered on {entry['registered']}")
            elif x["reason"] != y["reason"]:
                out.append(f"{study.id}/{exp} {rid}: the tolerance's reason differs from the one registered on "
                           f"{entry['registered']}")
    return [f"{line}; {way_out}" for line in out]


def registered_hash(study_id: str) -> str:
    """The sha256 of a study's registration (recorded with every verdict), or '' when it has none."""
    try:
        entry = read(path_for(study_id))["studies"].get(study_id)
    except (KeyError, ResultsError):
        return ""
    return entry["sha256"] if entry else ""
