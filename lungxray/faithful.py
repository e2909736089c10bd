"""How faithful a run is to its paper, component by component, and what its numbers can say.

:func:`departures` lists every way a run departs from the paper, each with a kind and a severity,
from facts recorded in its results.json and the study module's declarations (never from
study names):

| kind | departure | severity |
|---|---|---|
| data | a smoke run on generated images | critical |
| weights | a pretrained part trained from random initialisation | critical |
| weights | a weights file whose hash is not the published one, or no record of the file | major |
| variant | a variant choice the study marks as departing from the text | major |
| data | counts that differ from the dataset, beyond a per-class subset the paper itself took | major |
| data | images smaller than the size the pipeline resizes to (a downscaled copy) | major |
| schedule | fewer or more epochs than the paper (``--epochs``) | major |
| data | which images of a per-class subset (the paper's subset is unstated) | minor |
| data | copies at another size than the release, still at least the model's input size | minor |
| split | a split given by ``--manifest`` | minor |
| weights | a weights file with no published hash to check (Keras' MobileNetV2) | minor |
| numerics | mixed precision | minor |

A run whose departures are all minor is *faithful with stated departures* and gets real
verdicts (``lungxray.verdict``); any critical or major departure makes it not faithful.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

SEVERITIES = ("critical", "major", "minor")


def _dep(kind: str, severity: str, text: str) -> dict[str, str]:
    return {"kind": kind, "severity": severity, "text": text}


def departures(res: Mapping[str, Any], study) -> list[dict[str, str]]:
    """Every departure of a run from its paper (see the module table)."""
    from lungxray.data import get_dataset

    prov, cfg = res["provenance"], res["config"]
    out = []
    if res.get("smoke"):
        why = f" ({study.smoke.why})" if study.smoke.why else ""
        out.append(_dep("data", "critical", f"smoke run on generated images{why}"))
    if prov.get("weights") == "none":
        out.append(_dep("weights", "critical", "weights none (random initialisation) instead of the paper's "
                        "ImageNet weights"))
    else:
        from lungxray.models.weightfiles import weights_departure_records

        out += weights_departure_records(res)
    known = {v.name: v for v in study.variants}
    recorded = res.get("variant", {})
    stale = {k: c for k, c in recorded.items() if k not in known or c not in known[k].choices}
    if stale:
        out.append(_dep("variant", "major", "variant choices the study module no longer has ("
                        + ", ".join(f"{k}={c}" for k, c in stale.items()) + "): a run of an older version; rerun it"))
    choices = {**study.defaults(), **{k: c for k, c in recorded.items() if k not in stale}}
    for v in study.variants:
        if choices.get(v.name) in v.departs:
            out.append(_dep("variant", "major", f"variant {v.name}={choices[v.name]}: {v.departs[choices[v.name]]}"))
    mism = prov.get("count_mismatches") or []
    if mism and not res.get("smoke"):
        limit = cfg.get("per_class_limit")
        if limit and all(m["found"] >= limit for m in mism):
            have = ", ".join(f"{m['found']} {m['label']}" for m in mism)
            out.append(_dep("data", "minor", f"{limit} images per class as the paper, but which ones it used is "
                            f"unstated: this copy has {have}"))
        else:
            out.append(_dep("data", "major", "image counts differ from the published dataset (subset or different "
                            "release): " + ", ".join(f"{m['label']} {m['found']} of {m['expected']}" for m in mism)))
    sizes = prov.get("image_sizes")
    native = get_dataset(prov["dataset"]).native_size if prov.get("dataset") else None
    if sizes and native and not res.get("smoke"):  # a release whose images vary in size is taken as it is
        want = cfg["image"]["size"]
        found = sorted({tuple(s) for s in sizes})
        if any(tuple(s) != tuple(native) for s in found):
            smallest = prov.get("image_min_side") or min(min(s) for s in found)
            if smallest < min(want, *native):
                out.append(_dep("data", "major", f"images of {_sizes(found)} px, not the release's "
                                f"{native[0]}x{native[1]} and below the {want} px the pipeline resizes to: a "
                                "downscaled copy, upsampled for the model"))
            else:
                out.append(_dep("data", "minor", f"copies at {_sizes(found)} px, not the release's "
                                f"{native[0]}x{native[1]} (resized by the mirror they came from)"))
    run = prov.get("epochs_requested")
    want_epochs = study.experiment(res["experiment"]).configure(choices).train.epochs
    if run is not None and run != want_epochs and not res.get("smoke"):
        out.append(_dep("schedule", "major", f"{run} epochs instead of the paper's {want_epochs}"))
    if prov.get("manifest_given"):
        out.append(_dep("split", "minor", f"split given by --manifest {prov['manifest_given']}"))
    if prov.get("mixed_precision", "float32") != "float32":
        out.append(_dep("numerics", "minor", f"mixed precision ({prov['mixed_precision']}) instead of float32"))
    return sorted(out, key=lambda d: SEVERITIES.index(d["severity"]))


def _sizes(found: Sequence[tuple[int, ...]]) -> str:
    shown = ", ".join(f"{w}x{h}" for w, h in found[:3])
    return shown + (f" and {len(found) - 3} more sizes" if len(found) > 3 else "")


def is_faithful(deps: Sequence[Mapping[str, str]]) -> bool:
    return all(d["severity"] == "minor" for d in deps)


def degenerate(cm: Sequence[Sequence[int]], history: Mapping[str, Sequence[float]] | None) -> dict[str, Any] | None:
    """A model whose numbers are chance level: one predicted class, or a loss stuck at ln(K)."""
    cm = np.asarray(cm)
    k = cm.shape[0]
    used = int((cm.sum(axis=0) > 0).sum())
    reasons = []
    if cm.sum() and used <= 1:
        reasons.append("it predicts one class for every test image")
    loss = list((history or {}).get("loss", []))
    if len(loss) >= 2 and all(abs(v - math.log(k)) < 0.01 * math.log(k) for v in loss[-2:]):
        reasons.append(f"its training loss is stuck at ln({k}) = {math.log(k):.3f}")
    if not reasons:
        return None
    return {"classes_predicted": used, "reasons": reasons,
            "banner": "degenerate model: " + " and ".join(reasons) + "; its numbers are chance level"}


def score(res: dict[str, Any], study, y_true, y_pred, proba=None) -> dict[str, Any]:
    """Fill a result's departures, faithfulness, degeneracy and comparison (with intervals and verdicts)
    from its recorded facts and its predictions. The runner calls it after a run; ``lungxray rescore``
    calls it on committed runs, so both give the same record."""
    from lungxray.audit import inconsistent_metrics
    from lungxray.verdict import comparison_rows, intervals

    deps = departures(res, study)
    res["departures"] = deps
    res["faithful"] = is_faithful(deps)
    res["unfaithful_reasons"] = [d["text"] for d in deps if d["severity"] != "minor"]
    ev = res["evaluation"]
    res["degenerate"] = degenerate(ev["confusion_matrix"], res.get("history"))
    exp = study.experiment(res["experiment"])
    cfg = res["config"]
    compare_as = cfg.get("compare_as") or {}
    keys = [compare_as.get(pm.key, [pm.key])[0] for pm in exp.published.metrics]
    keys += [k for pm in exp.published.metrics for k in compare_as.get(pm.key, [])[1:]]
    positive = 1 if cfg.get("binary_positive") else None
    bs = cfg["train"]["batch_size"] if cfg["train"].get("batch_mean_accuracy") else None
    if proba is not None and len(y_true):  # the loss of the probabilities its interval resamples (predictions.csv)
        from lungxray.metrics import cross_entropy

        ev["loss"] = cross_entropy(y_true, proba)
    mets = {**ev["metrics"], **({"loss": ev["loss"]} if ev.get("loss") is not None else {})}
    est = intervals(keys, y_true, y_pred, ev["classes"], positive, proba, bs, values=mets)
    res["comparison"] = comparison_rows(exp, mets, est, faithful=res["faithful"], history=res.get("history"),
                                        epoch=res.get("best_epoch"), inconsistent=inconsistent_metrics(study, exp.name),
                                        compare_as=compare_as)
    return res
