"""``lungxray rescore``: bring committed runs up to date without retraining.

A run's departures, intervals and verdicts follow from its recorded facts, its predictions.csv and
the study module (``lungxray.judge.faithful.score``). When the study module changes (a published number
entered, a tolerance declared) or results.json has an older schema, ``rescore`` recomputes them,
rewrites results.json and report.pdf, rebuilds the aggregate of a ``--runs`` set and analyses a sweep again
(sweep.json, sweep.pdf). The model,
its predictions and every training fact stay as they were.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lungxray.judge.seeds import write_aggregate
from lungxray.results import files as R
from lungxray.spec.study import get_study

log = logging.getLogger("lungxray")


def _legacy_facts(res: dict, run_dir: Path) -> None:
    """Facts schema /1 did not record, recovered from the run's own files (and the data, where it still is)."""
    prov = res["provenance"]
    if "manifest_given" not in prov:  # /1 recorded the command line only
        argv = prov.get("command", "").split()
        prov["manifest_given"] = argv[argv.index("--manifest") + 1] if "--manifest" in argv[:-1] else None
    if "image_sizes" not in prov and not res.get("smoke"):
        from lungxray.data.splits import read_manifest
        from lungxray.run.prepare import image_sizes

        root = Path(prov["data_root"]) if prov.get("data_root") else None
        if root is not None and root.is_dir() and (run_dir / R.MANIFEST).is_file():
            prov["image_sizes"], prov["image_min_side"] = image_sizes(root, read_manifest(run_dir / R.MANIFEST))
        else:
            log.warning("%s: image sizes not recorded and the data is not at %s: not checked", run_dir, root)


def rescore_run(run_dir: Path) -> Path:
    """One run folder, under its run-folder lock, so a run still writing there is never mixed with."""
    from filelock import FileLock, Timeout

    from lungxray.run.guard import LOCK_NAME, RunFolderBusy

    try:
        with FileLock(Path(run_dir) / LOCK_NAME, timeout=0):
            return _rescore_unlocked(Path(run_dir))
    except Timeout:
        raise RunFolderBusy(f"{run_dir} is in use by a running run: rescore it when that run has finished") from None


def _rescore_unlocked(run_dir: Path) -> Path:
    from lungxray.audit.runner import inconsistent_metrics
    from lungxray.judge.faithful import score
    from lungxray.report.pdf import write_report
    from lungxray.results.types import RunResult, migrate_result

    path, data = R.load_raw(run_dir)
    _legacy_facts(data, run_dir)
    data.setdefault("departures", [])
    data.setdefault("degenerate", None)
    data["schema"] = "lungxray.results/2" if data["schema"] == "lungxray.results/1" else data["schema"]
    res = RunResult.from_dict(migrate_result(data), str(path))
    classes = res.evaluation.classes
    y_true, y_pred = R.read_predictions(run_dir / R.PREDICTIONS, classes)
    study = get_study(res.study)
    score(res, study, y_true, y_pred, R.read_probabilities(run_dir / R.PREDICTIONS, classes),
          inconsistent=inconsistent_metrics(study, res.experiment))
    R.atomic_write_text(run_dir / R.RESULTS, res.to_json())
    write_report(res, run_dir / R.REPORT)
    return run_dir


def rescore(root: Path) -> list[Path]:
    """Every run under ``root`` (a run folder or a folder of them), then every aggregate beside them."""
    from lungxray.run.guard import RunFolderBusy

    root = Path(root)
    if not root.is_dir():
        raise R.ResultsError(f"{root} is not a folder: give a run folder or a folder of them (e.g. reports)")
    runs = [p.parent for p in R.find_results(root)]
    if not runs:
        raise R.ResultsError(f"nothing to rescore: no results.json under {root} (give a run folder or a folder "
                             "of them, e.g. reports)")
    failed = []
    for d in runs:
        try:
            rescore_run(d)
        except (R.ResultsError, KeyError, ValueError, RunFolderBusy) as exc:
            failed.append(f"{d}: {exc}")
            continue
        log.info("rescored %s", d)
    if failed:
        raise R.ResultsError("could not rescore:\n" + "\n".join(failed))
    for agg in sorted(root.rglob(R.AGGREGATE)):
        import json

        members = [agg.parent / d for d in json.loads(agg.read_text())["runs"]]  # any schema: only its members
        write_aggregate(agg.parent, members)
        log.info("rescored %s", agg)
    from lungxray.results.sweep import SWEEP
    from lungxray.sweep.runner import refresh_sweep

    for sweep in sorted(root.rglob(SWEEP)):  # analysed again from the rescored points
        log.info("rescored %s", refresh_sweep(sweep.parent))
    return runs
