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
verdicts (``lungxray.judge.verdict``); any critical or major departure makes it not faithful.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from lungxray.results.types import Degenerate, Departure, RunResult

SEVERITIES = ("critical", "major", "minor")


def _dep(kind: str, severity: str, text: str) -> Departure:
    return Departure(kind, severity, text)


def departures(res: RunResult, study) -> list[Departure]:
    """Every departure of a run from its paper (see the module table)."""
    prov = res.provenance
    smoke = [_dep("data", "critical", "smoke run on generated images"
                  + (f" ({study.smoke.why})" if study.smoke.why else ""))] if res.smoke else []
    out = smoke + _weights_departures(res) + _variant_departures(res, study)
    out += [] if res.smoke else _data_departures(res)
    want_epochs = study.resolve(res.experiment, _choices(res, study)).train.epochs
    if prov.epochs_requested is not None and prov.epochs_requested != want_epochs and not res.smoke:
        epochs = f"{prov.epochs_requested} epoch" + ("" if prov.epochs_requested == 1 else "s")
        out.append(_dep("schedule", "major", f"{epochs} instead of the paper's {want_epochs}"))
    if prov.manifest_given:
        out.append(_dep("split", "minor", f"split given by --manifest {prov.manifest_given}"))
    if prov.mixed_precision != "float32":
        out.append(_dep("numerics", "minor", f"mixed precision ({prov.mixed_precision}) instead of float32"))
    return sorted(out, key=lambda d: SEVERITIES.index(d.severity))


def _weights_departures(res: RunResult) -> list[Departure]:
    if res.provenance.random_init:
        return [_dep("weights", "critical", "weights none (random initialisation) instead of the paper's "
                     "ImageNet weights")]
    from lungxray.models.weight_files import weights_departure_records

    return weights_departure_records(res.provenance.weights, res.provenance.weights_files)


def _stale(res: RunResult, study) -> dict[str, str]:
    known = {v.name: v for v in study.variants}
    return {k: c for k, c in res.variant.items() if k not in known or c not in known[k].choices}


def _choices(res: RunResult, study) -> dict[str, str]:
    stale = _stale(res, study)
    return {**study.defaults(), **{k: c for k, c in res.variant.items() if k not in stale}}


def _variant_departures(res: RunResult, study) -> list[Departure]:
    out = []
    stale = _stale(res, study)
    if stale:
        out.append(_dep("variant", "major", "variant choices the study module no longer has ("
                        + ", ".join(f"{k}={c}" for k, c in stale.items()) + "): a run of an older version; rerun it"))
    choices = _choices(res, study)
    for v in study.variants:
        if choices.get(v.name) in v.departs:
            out.append(_dep("variant", "major", f"variant {v.name}={choices[v.name]}: {v.departs[choices[v.name]]}"))
    return out


def _data_departures(res: RunResult) -> list[Departure]:
    out = []
    mism, limit = res.provenance.count_mismatches, res.config.per_class_limit
    if mism and limit and all(m.found >= limit for m in mism):
        have = ", ".join(f"{m.found} {m.label}" for m in mism)
        out.append(_dep("data", "minor", f"{limit} images per class as the paper, but which ones it used is "
                        f"unstated: this copy has {have}"))
    elif mism:
        out.append(_dep("data", "major", "image counts differ from the published dataset (subset or different "
                        "release): " + ", ".join(f"{m.label} {m.found} of {m.expected}" for m in mism)))
    return out + _size_departures(res)


def _size_departures(res: RunResult) -> list[Departure]:
    """Images at another size than the release's (a release whose images vary in size is taken as it is)."""
    from lungxray.data import get_dataset

    prov = res.provenance
    native = get_dataset(prov.dataset).native_size if prov.dataset else None
    if not prov.image_sizes or not native:
        return []
    want = res.config.image.size
    found = sorted({tuple(s) for s in prov.image_sizes})
    if all(tuple(s) == tuple(native) for s in found):
        return []
    smallest = prov.image_min_side or min(min(s) for s in found)
    if smallest < min(want, *native):
        return [_dep("data", "major", f"images of {_sizes(found)} px, not the release's {native[0]}x{native[1]} "
                     f"and below the {want} px the pipeline resizes to: a downscaled copy, upsampled for the model")]
    return [_dep("data", "minor", f"copies at {_sizes(found)} px, not the release's {native[0]}x{native[1]} "
                 "(resized by the mirror they came from)")]


def _sizes(found: Sequence[tuple[int, ...]]) -> str:
    shown = ", ".join(f"{w}x{h}" for w, h in found[:3])
    return shown + (f" and {len(found) - 3} more sizes" if len(found) > 3 else "")


def is_faithful(deps: Sequence[Departure]) -> bool:
    return all(d.severity == "minor" for d in deps)


def degenerate(cm: Sequence[Sequence[int]], history: Mapping[str, Sequence[float]] | None) -> Degenerate | None:
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
    return Degenerate(used, reasons, "degenerate model: " + " and ".join(reasons) + "; its numbers are chance level")


def score(res: RunResult, study, y_true, y_pred, proba=None, *, inconsistent: Mapping[str, str]) -> RunResult:
    """Fill a result's departures, faithfulness, degeneracy and comparison (with intervals and verdicts)
    from its recorded facts and its predictions. The runner calls it after a run; ``lungxray rescore``
    and ``lungxray check`` call it on committed runs, so all give the same record. ``inconsistent`` maps the
    published metric keys the audit finds inconsistent to why (``lungxray.audit.runner.inconsistent_metrics``):
    the audit judges the paper, so it sits above this layer and its findings are passed in."""
    from lungxray.judge.verdict import comparison_rows, design_of, intervals

    res.departures = departures(res, study)
    res.faithful = is_faithful(res.departures)
    ev = res.evaluation
    res.degenerate = degenerate(ev.confusion_matrix, res.history)
    exp = study.experiment(res.experiment)
    compare_as = res.config.compare_as or {}
    keys = [compare_as.get(pm.key, [pm.key])[0] for pm in exp.published.metrics]
    keys += [k for pm in exp.published.metrics for k in compare_as.get(pm.key, [])[1:]]
    positive = 1 if res.binary else None
    if proba is not None and len(y_true):  # the loss of the probabilities its interval resamples (predictions.csv)
        from lungxray.judge.metrics import cross_entropy

        ev.loss = cross_entropy(y_true, proba)
    mets = {**ev.metrics, **({"loss": ev.loss} if ev.loss is not None else {})}
    est = intervals(keys, y_true, y_pred, ev.classes, positive, proba, res.batch_mean_size, values=mets)
    res.comparison = comparison_rows(exp, mets, est, faithful=res.faithful,
                                     design=design_of(res.config, [res.provenance.split_seed]),
                                     classes=ev.classes, positive=None if positive is None else ev.classes[positive],
                                     history=res.history, epoch=res.best_epoch, inconsistent=inconsistent,
                                     compare_as=compare_as)
    return res
