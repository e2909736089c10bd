"""``python -m lungxray``: verify-data, check, report, rescore, register, audit, bench, weights, studies, table, sweep.

Conventions: ``--version``; ``--json`` on every subcommand prints one JSON document and nothing
else on stdout (logs, warnings and progress bars go to stderr); TensorFlow's start-up lines are
silenced (``--verbose-tf`` keeps them, see ``lungxray._util.quiet``); an expected error prints
``error: <message>`` on stderr, no traceback (``LUNGXRAY_DEBUG=1`` re-raises it).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lungxray._util.env import DEBUG, EnvironmentValueError, check_environment
from lungxray._util.env import flag as env_flag
from lungxray._util.output import emit_json, json_stdout
from lungxray._util.progress import progress
from lungxray._util.shutdown import stop_input_pipelines
from lungxray._util.version import VersionAction, version_text  # noqa: F401  (version_text: tests)
from lungxray.errors import LungxrayError, message


def _verify(a: argparse.Namespace) -> int:
    from lungxray.data import discover, get_dataset
    from lungxray.data.verify import verify

    spec = get_dataset(a.dataset)
    if a.manifest:
        from lungxray.data.manifest_verify import check_manifest

        rep = check_manifest(discover(spec, a.data_dir, a.download), Path(a.manifest))
    else:
        rep = verify(discover(spec, a.data_dir, a.download))
    if a.json:
        emit_json(rep.to_dict())
    else:
        print(rep.to_text())
    return 0 if rep.ok else 1


def _check(a: argparse.Namespace) -> int:
    from lungxray.cli.check import check_all, compare_to_reference, compare_verdicts

    if a.reference:
        outcomes = [compare_to_reference(Path(a.reports), Path(a.reference), a.tolerance)]
        a.verbose = True
    elif a.verdicts_of:
        outcomes = [compare_verdicts(Path(a.reports), Path(a.verdicts_of))]
        a.verbose = True
    else:
        outcomes = check_all(Path(a.reports))
    n_fail = sum(bool(o.failures) for o in outcomes)
    if a.json:
        emit_json({"outcomes": [{"path": str(o.path), "ok": not o.failures, "failures": o.failures, "lines": o.lines}
                                for o in outcomes], "passed": len(outcomes) - n_fail, "failed": n_fail})
        return 1 if n_fail else 0
    for o in outcomes:
        print(f"{'FAIL' if o.failures else 'ok  '} {o.path}")
        for line in o.lines if a.verbose or o.failures else o.lines[:1]:
            print(f"     {line}")
        for f in o.failures:
            print(f"     FAIL: {f}")
    print(f"check: {len(outcomes) - n_fail} passed, {n_fail} failed")
    return 1 if n_fail else 0


def _rescore(a: argparse.Namespace) -> int:
    from lungxray.cli.rescore import rescore

    done = [d for root in a.runs for d in rescore(Path(root))]
    if a.json:
        emit_json({"rescored": [str(d) for d in done]})
    else:
        for d in done:
            print(f"rescored {d}")
    return 0


def _report(a: argparse.Namespace) -> int:
    from lungxray.report.pdf import write_report
    from lungxray.results.files import REPORT, load_results

    if a.suite:
        from lungxray.report.suite import write_suite

        out = write_suite(Path(a.run), Path(a.out or Path(a.run) / "suite.pdf"))
    elif a.summary:
        from lungxray.report.summary import write_summary

        out = write_summary(Path(a.run), Path(a.out) if a.out else None)
    else:
        run_dir = Path(a.run) if Path(a.run).is_dir() else Path(a.run).parent
        if (run_dir / "sweep.json").is_file():  # a sweep's experiment folder: sweep.pdf from sweep.json
            from lungxray.report.sweep import write_sweep_report
            from lungxray.results.sweep import SWEEP_REPORT, SweepResult

            out = write_sweep_report(SweepResult.load(run_dir), Path(a.out) if a.out else run_dir / SWEEP_REPORT)
        elif (run_dir / "aggregate.json").is_file() and not (run_dir / "results.json").is_file():  # a --runs set
            from lungxray.report.aggregate import write_aggregate_report

            out = write_aggregate_report(run_dir, Path(a.out) if a.out else None)
        else:
            out = Path(a.out) if a.out else run_dir / REPORT
            write_report(load_results(Path(a.run)), out)
    if a.json:
        emit_json({"wrote": str(out)})
    else:
        print(f"wrote {out}")
    return 0


def _audit(a: argparse.Namespace) -> int:
    from lungxray.audit.claims import ranked
    from lungxray.audit.runner import run_audit, to_text
    from lungxray.spec.study import get_study, load_studies

    studies = [get_study(s) for s in a.study] if a.study else [v for _, v in sorted(load_studies().items())]
    found: list = []
    bar = progress(studies, "auditing", unit="study")  # on a terminal: which study, and how far
    for st in bar:
        bar.set_description(f"auditing {st.id}")
        found += run_audit([st])
    claims = ranked(found)
    if a.json:
        emit_json([c.to_dict() for c in claims])
    else:
        print(to_text(claims, verbose=a.verbose))
    return 0


def _bench(a: argparse.Namespace) -> int:
    if a.sweep:
        from lungxray.cli.bench_sweep import main as sweep_main

        return sweep_main(a.json, a.rounds)
    if a.cache_check:
        from lungxray.cli.bench_cache import main as cache_main

        return cache_main(a.data_dir, a.images, a.json)
    if a.data_stage:
        from lungxray.cli.bench_data import DATASETS, run

        return run(a.dataset or list(DATASETS), a.fraction or [1.0], a.work, a.json)
    from lungxray.cli.bench import main as bench_main

    return bench_main(a.study, a.data_dir, a.batches, a.json)


def _cache(a: argparse.Namespace) -> int:
    from lungxray.data.cache import DecodeCache

    cache = DecodeCache()
    n, size = cache.clear() if a.clear else cache.usage()
    if a.json:
        emit_json({"root": str(cache.root), "images": n, "bytes": size, "cleared": bool(a.clear)})
    elif a.clear:
        print(f"removed {n} images ({size / 2**20:.1f} MiB) from {cache.root}")
    else:
        print(f"{cache.root}: {n} images, {size / 2**20:.1f} MiB (set $LUNGXRAY_CACHE to move it; "
              "`lungxray cache --clear` empties it)")
    return 0


def _weights(a: argparse.Namespace) -> int:
    from lungxray.cli.weights import main as weights_main

    return weights_main(a.study, a.check, a.weights, a.json)


def _run(a: argparse.Namespace) -> int:
    from lungxray.run.runner import main as run_main
    from lungxray.spec.study import get_study

    return run_main(get_study(a.study), a.args)


def _sweep(a: argparse.Namespace) -> int:
    from lungxray.cli.sweep import run

    return run(a, a.argv)


def _studies(a: argparse.Namespace) -> int:
    from lungxray.spec.study import load_studies

    studies = [st for _, st in sorted(load_studies().items())]
    if a.json:
        emit_json([{"id": st.id, "title": st.title, "citation": st.citation, "dataset": st.dataset,
                    "summary": st.summary, "experiments": [{"name": e.name, "title": e.title} for e in st.experiments]}
                   for st in studies])
        return 0
    for st in studies:
        print(f"{st.id}: {st.title}")
        print(f"  citation: {st.citation}")
        print(f"  dataset: {st.dataset}")
        print("  experiments:")
        for e in st.experiments:
            print(f"    {e.name}: {e.title}")
    return 0


def _table(a: argparse.Namespace) -> int:
    from lungxray.cli.table import collect, merge, render, select, sweep_rows
    from lungxray.errors import ResultsError

    root = Path(a.reports)
    if not root.is_dir():
        raise ResultsError(f"{root}: no such folder (give the folder holding run folders, e.g. reports)")
    rows = collect(root, each_seed=a.each_seed)
    if a.sweeps:
        rows = merge(rows, sweep_rows(root, each_seed=a.each_seed))
    if not rows:
        raise ResultsError(f"no results.json under {root}" + ("" if a.sweeps else " outside sweeps (--sweeps lists "
                                                                                  "the sweeps' readings)"))
    every = rows
    rows = select(rows, a.study, a.real_only, a.faithful_only)
    if not rows:
        raise ResultsError(f"no row under {root} matches the filters (studies there: "
                           f"{', '.join(sorted({r.study for r in every}))})")
    if a.json or a.format == "json":
        emit_json([r.to_dict() for r in rows])
    else:
        sys.stdout.write(render(rows, a.format))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lungxray", description="lungxray tools; every subcommand takes "
                                "--json (one JSON document on stdout, nothing else)")
    p.add_argument("--version", action=VersionAction, help="print the version and the git revision of the code, and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars (also off when stderr is not a "
                   "terminal or CI is set)")
    p.add_argument("--verbose-tf", action="store_true", help="keep TensorFlow's start-up log lines (also: "
                   "LUNGXRAY_TF_LOGS=1, or TF_CPP_MIN_LOG_LEVEL=0)")
    sub = p.add_subparsers(dest="cmd", required=True)
    _add_verify_data(sub)
    _add_check(sub)
    _add_report(sub)
    _add_rescore(sub)
    _add_register(sub)
    _add_audit(sub)
    _add_bench(sub)
    _add_cache(sub)
    _add_weights(sub)
    _add_studies(sub)
    _add_run(sub)
    _add_table(sub)
    from lungxray.cli.sweep import add_parser as add_sweep

    add_sweep(sub, _sweep)
    return p


def _add_verify_data(sub: Any) -> None:
    from lungxray.data.datasets import REGISTRY

    v = sub.add_parser("verify-data", help="decode every image, count per class/split, list unreadable files "
                       "and byte-identical duplicates; exit 1 on errors")
    v.add_argument("dataset", choices=sorted(REGISTRY))
    v.add_argument("--data-dir", help="dataset folder (else $LUNGXRAY_DATA, else --download)")
    v.add_argument("--download", action="store_true", help="fetch from Kaggle with kagglehub")
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.add_argument("--manifest", metavar="FILE", help="instead: check this copy against a run's manifest.csv "
                   "(sha256 per file) and list every missing, extra or changed file; exit 1 if any is missing "
                   "or changed")
    v.set_defaults(fn=_verify)


def _add_check(sub: Any) -> None:
    c = sub.add_parser("check", help="check committed results against published numbers and their own predictions")
    c.add_argument("reports", nargs="?", default="reports", help="folder searched for results.json (default reports)")
    c.add_argument("-v", "--verbose", action="store_true", help="print every metric comparison")
    c.add_argument("--reference", metavar="RUN_DIR",
                   help="compare the run folder given as REPORTS with this reference run of the same configuration")
    c.add_argument("--tolerance", type=float, default=0.02,
                   help="with --reference: largest allowed difference of any metric (default 0.02)")
    c.add_argument("--verdicts-of", metavar="RUN_SET",
                   help="REPORTS is a shorter rerun (an experiment folder with aggregate.json) of this committed "
                   "--runs set: fail where a decisive verdict (consistent / not reproduced) contradicts it")
    c.add_argument("--json", action="store_true", help="every outcome as JSON: path, ok, failures, lines")
    c.set_defaults(fn=_check)


def _add_report(sub: Any) -> None:
    r = sub.add_parser("report", help="(re)render a run's report.pdf from its results.json (a --runs set's "
                       "aggregate.pdf from aggregate.json, a sweep's sweep.pdf from sweep.json), or with --summary "
                       "the side-by-side summary.pdf of a folder of run folders")
    r.add_argument("run", help="run folder or results.json, a --runs set's folder, a sweep's experiment folder "
                   "(holding sweep.json) or sweep.json (with --summary: the folder holding run folders)")
    r.add_argument("--summary", action="store_true", help="write summary.pdf over the run folders in RUN")
    r.add_argument("--suite", action="store_true",
                   help="write the suite PDF over every run under RUN (e.g. reports/): verdict table, then each "
                   "study's audit, summaries and run pages (default RUN/suite.pdf)")
    r.add_argument("--out", help="PDF path (default: report.pdf in the run folder)")
    r.add_argument("--json", action="store_true", help='print {"wrote": PATH} as JSON')
    r.set_defaults(fn=_report)


def _add_rescore(sub: Any) -> None:
    rs = sub.add_parser("rescore", help="recompute departures, intervals and verdicts of committed runs from their "
                        "predictions.csv and the study module as it is now (no retraining); rewrites results.json, "
                        "report.pdf and aggregate.json")
    rs.add_argument("runs", nargs="+", help="run folders, or folders holding run folders (e.g. reports)")
    rs.add_argument("--json", action="store_true", help='print {"rescored": [run folders]} as JSON')
    rs.set_defaults(fn=_rescore)


def _register(a: argparse.Namespace) -> int:
    from lungxray.spec.registration import register
    from lungxray.spec.study import get_study

    path = register(get_study(a.study), a.note)
    if a.json:
        emit_json({"registered": a.study, "file": str(path)})
    else:
        print(f"registered the tolerances, primary rows and test-set sizes of {a.study} in {path}; commit it "
              "(the commit dates the registration)")
    return 0


def _add_register(sub: Any) -> None:
    rg = sub.add_parser("register", help="register a study's tolerances (with their reasons), primary rows and the "
                        "paper's test-set sizes in the committed registration.json, dated and hashed; `check` fails "
                        "when the study module differs from it")
    rg.add_argument("study", help="study id (python -m lungxray studies lists them)")
    rg.add_argument("--note", required=True, help="why the registration is made or changed (kept in the file)")
    rg.add_argument("--json", action="store_true", help='print {"registered": STUDY, "file": PATH} as JSON')
    rg.set_defaults(fn=_register)


def _add_audit(sub: Any) -> None:
    au = sub.add_parser("audit", help="recompute every published number that follows from other published numbers, "
                        "recover unstated details from them, and rank the findings by severity (each names the rubric "
                        "rule that placed it; one record per fact)")
    au.add_argument("study", nargs="*", help="study ids (default all)")
    au.add_argument("--json", action="store_true", help="all records as JSON, findings first (critical, major, minor), "
                    "each with its rule")
    au.add_argument("-v", "--verbose", action="store_true", help="also list the consistent checks")
    au.set_defaults(fn=_audit)


def _add_bench(sub: Any) -> None:
    b = sub.add_parser("bench", help="images per second: model only, tf.data pipeline + model, and Keras "
                       "ImageDataGenerator + model, with their ratios")
    b.add_argument("--study", default="syakuroh2025", help="study whose first experiment is measured")
    b.add_argument("--data-dir", help="real PNGs to read (default ../shared/datasets when it has the study's "
                   "data, else generated images)")
    b.add_argument("--batches", type=int, default=8, help="batches timed per figure (default 8)")
    b.add_argument("--json", action="store_true", help="JSON only on stdout (ratios and targets keyed)")
    b.add_argument("--data-stage", action="store_true",
                   help="instead: time the data stage (discover, screen + decode, split, balance, load, a second run "
                   "from the cache) and peak memory on generated files at each dataset's real count and image size")
    b.add_argument("--dataset", action="append", metavar="KEY",
                   help="with --data-stage: covid19-radiography, syakuroh-4class or nih-chestxray14 (repeatable; "
                   "default all three)")
    b.add_argument("--fraction", action="append", type=float, metavar="F",
                   help="with --data-stage: generate this share of the real count (repeatable: one measurement each; "
                   "default 1.0); the text output extrapolates linearly to the full count")
    b.add_argument("--work", metavar="DIR", help="with --data-stage: keep the generated files here (reused next time)")
    b.add_argument("--cache-check", action="store_true",
                   help="instead: what checking a decode-cache entry's sha256 on every read costs, against decoding "
                   "(ratios; PNGs from --data-dir, else the shared COVID-19 data, else generated)")
    b.add_argument("--sweep", action="store_true",
                   help="instead: a smoke sweep (4 trials) serially and on a local Ray, twice each; Ray's overhead "
                   "per trial and beyond its own start-up")
    b.add_argument("--rounds", type=int, default=2, help="with --sweep: serial and Ray sweeps timed this many times "
                   "each (default 2)")
    b.add_argument("--images", type=int, default=200, help="with --cache-check: images timed (default 200)")
    b.set_defaults(fn=_bench)


def _add_cache(sub: Any) -> None:
    ca = sub.add_parser("cache", help="the persistent cache of decoded, resized images ($LUNGXRAY_CACHE, default "
                        "~/.cache/lungxray): its size, or --clear to empty it")
    ca.add_argument("--clear", action="store_true", help="remove every cached image")
    ca.add_argument("--json", action="store_true", help='{"root", "images", "bytes", "cleared"} as JSON (with '
                    "--clear: what was removed)")
    ca.set_defaults(fn=_cache)


def _add_weights(sub: Any) -> None:
    w = sub.add_parser("weights", help="the pretrained weight files the studies load: name, download URL, where to "
                       "put them, published hash; --check verifies what is in place (exit 1 if missing or wrong)")
    w.add_argument("study", nargs="*", help="study ids (default all)")
    w.add_argument("--check", action="store_true", help="verify the files in place: present, published hash, "
                   "loadable into the architecture")
    w.add_argument("--weights", action="append", default=[], metavar="PATH",
                   help="with --check: a file you will pass with --weights (matched by file name; repeatable)")
    w.add_argument("--json", action="store_true", help="the files (and with --check each outcome) as JSON")
    w.set_defaults(fn=_weights)


def _add_run(sub: Any) -> None:
    r = sub.add_parser("run", help="run a study: `lungxray run STUDY ARGS` is `python -m reproductions.STUDY ARGS` "
                       "(`lungxray run STUDY --help` lists its options; an unknown STUDY lists the studies)")
    r.add_argument("study", help="study id (see `lungxray studies`)")
    r.add_argument("args", nargs=argparse.REMAINDER, help="the study's own options")
    r.set_defaults(fn=_run)


def _add_studies(sub: Any) -> None:
    s = sub.add_parser("studies", help="the registered studies: title, citation, dataset and experiments")
    s.add_argument("--json", action="store_true", help="a list of objects: id, title, citation, dataset, summary, "
                   "experiments")
    s.set_defaults(fn=_studies)


def _add_table(sub: Any) -> None:
    t = sub.add_parser("table", help="one row per study x experiment x published metric across the committed "
                       "runs: published value and interval, reproduced value and interval, verdict, faithful, "
                       "weights, seeds (a --runs set: its aggregate.json); a sweep's trials and readings are left "
                       "out (--sweeps lists them)")
    t.add_argument("reports", nargs="?", default="reports", help="folder searched for results.json and "
                   "aggregate.json (default reports)")
    t.add_argument("--format", choices=("md", "csv", "json"), default="md",
                   help="md: a Markdown table (default); csv: every column at full precision; json: a list of rows")
    t.add_argument("--json", action="store_true", help="same as --format json")
    t.add_argument("--each-seed", action="store_true", help="also a row set for each seed run of a --runs set "
                   "(with --sweeps: of each reading of a sweep too)")
    t.add_argument("--sweeps", action="store_true", help="also the committed sweeps (folders holding sweep.json, "
                   "`lungxray sweep`): one row per reading (point) x published metric from the point's "
                   "aggregate.json, with its mean, interval and verdict, marked with its sweep and point (the "
                   "columns sweep and point). Without it a sweep's trial runs and readings are not listed: they "
                   "are not separate reproductions")
    t.add_argument("--study", action="append", default=[], metavar="ID", help="only this study (repeatable)")
    t.add_argument("--real-only", action="store_true", help="leave out smoke runs (generated images: they test the "
                   "pipeline, not the paper)")
    t.add_argument("--faithful-only", action="store_true", help="only faithful runs (faithful, or with stated "
                   "minor departures): the rows whose verdicts are real")
    t.set_defaults(fn=_table)


def main(argv: Sequence[str] | None = None) -> int:
    from lungxray._util.progress import set_quiet
    from lungxray._util.quiet import quiet_tensorflow

    args = list(sys.argv[1:] if argv is None else argv)
    quiet_tensorflow(verbose="--verbose-tf" in args)  # before anything imports TensorFlow
    a = build_parser().parse_args(args)
    a.argv = args[args.index(a.study) + 1:] if a.cmd == "sweep" and a.study in args else []
    if a.verbose_tf:  # given abbreviated: parsing imports no TensorFlow, so this is still in time
        quiet_tensorflow(verbose=True)
    if a.cmd != "run":  # a study run sets up its own logging (progress lines unless -q)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if a.quiet:
        set_quiet()
    try:  # every environment variable lungxray reads, parsed once: a value not of its form is refused by name
        check_environment()
    except EnvironmentValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    code = _dispatch(a)
    stop_input_pipelines()  # after Ctrl-C or an error mid-way, before the interpreter shuts down
    return code


def _dispatch(a: argparse.Namespace) -> int:
    """Run the subcommand; an interrupt or an expected error is printed as one line and becomes the exit code."""
    debug = env_flag(DEBUG)
    try:
        if getattr(a, "json", False) and a.fn is not _bench:  # bench prints its own JSON
            with json_stdout():
                return a.fn(a)
        return a.fn(a)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `lungxray table | head`: the reader left; say nothing more
        with contextlib.suppress(OSError, ValueError):  # Python's own flush at exit would complain again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (LungxrayError, ValueError, KeyError, OSError) as exc:
        if debug:
            raise
        print(f"error: {message(exc)}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)
