"""Texts the reports share: what would make a run's verdicts real (one item per kind of departure that is not
minor), a departure or finding without its explanation, and the title of an extra test set."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lungxray.data.datasets import get_dataset
from lungxray.results.types import Departure
from lungxray.spec.study import Study


def remedies(study: Study, departures: Iterable[Departure]) -> list[str]:
    """What a run with ``departures`` needs to be faithful (each remedy once, in the order of the departures)."""
    spec = get_dataset(study.dataset)
    data = (f"the full dataset (Kaggle {spec.kaggle_handle})" if spec.kaggle_handle else
            f"the full {study.dataset} dataset (python -m lungxray verify-data {study.dataset} --data-dir DIR checks a "
            "copy)")
    out: dict[str, None] = {}
    for d in departures:
        if d.severity == "minor":
            continue
        if d.kind == "weights":
            out[f"ImageNet weights (python -m lungxray weights {study.id} says which files and where)"] = None
        elif d.kind == "data":
            out[data] = None
        elif d.kind == "schedule":
            out["the paper's full training schedule (no --epochs override)"] = None
        elif d.kind == "variant":
            name = d.text.removeprefix("variant ").split("=", 1)[0]
            default = next((v.default for v in study.variants if v.name == name), "its default")
            out[f"the paper's reading of variant {name} ({default})"] = None
        else:
            out[d.text] = None
    return list(out)


def short(text: str) -> str:
    """A departure's or finding's statement without its explanation (asides in parentheses and what follows
    ': ' left out); the PDF gives it whole."""
    return re.sub(r"\s*\([^()]*\)", "", text).split(": ", 1)[0]


# extra test sets (RunConfig.extra_evaluations, lungxray.run.evaluate) as a reader names them
EXTRA_TITLES = {"test_deduplicated": "Deduplicated test set"}


def extra_title(name: str) -> str:
    """The heading of an extra test set: 'test_deduplicated' -> 'Deduplicated test set'."""
    return EXTRA_TITLES.get(name, name.replace("_", " ").capitalize())


# metric keys of lungxray.judge.metrics as the reports name them ("Precision (macro)" style)
METRIC_NAMES = {"accuracy": "Accuracy", "batch_mean_accuracy": "Accuracy (mean over batches)",
                "macro_precision": "Precision (macro)", "macro_recall": "Recall (macro)", "macro_f1": "F1 (macro)"}


def plural(n: int, word: str) -> str:
    """'1 epoch', '15 epochs'."""
    return f"{n} {word}" + ("" if n == 1 else "s")
