"""``python -m lungxray sweep STUDY``: every reading of a paper x K seeds, on Ray or serially
(``lungxray.sweep.runner``)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from lungxray._util.output import emit_json

log = logging.getLogger("lungxray")


def add_parser(sub: Any, handler: Any) -> None:
    s = sub.add_parser(
        "sweep", help="run every reading of a paper's unstated details (its variants) with K seeds each, on Ray "
        "(locally, or a cluster with --address) or --serial; writes sweep.json and sweep.pdf: which details move "
        "each published number beyond its tolerance, and which readings fit the paper's own numbers",
        description="Each trial is an ordinary run folder (<out>/<experiment>/<point>/seed-N) and each point a "
        "--runs set; the same command again resumes an interrupted sweep (finished trials are kept); a failed "
        "trial is retried once, then reported (exit 1).")
    s.add_argument("study", help="study id (see `lungxray studies`)")
    s.add_argument("--experiment", action="append", default=[], metavar="NAME",
                   help="sweep this experiment (repeatable; default all)")
    s.add_argument("--vary", action="append", default=[], metavar="VARIANT",
                   help="vary this variant (repeatable; default every variant that changes the experiment, "
                   "see `lungxray run STUDY --list-variants`)")
    s.add_argument("--all-variants", action="store_true", help="vary every variant that applies (the default)")
    s.add_argument("--full-grid", action="store_true",
                   help="every combination of the varied choices (default: one at a time around the defaults)")
    s.add_argument("--runs", type=int, default=3, metavar="K", help="seeds per point (default 3, at least 2)")
    s.add_argument("--seed", type=int, default=42, help="first seed (seeds SEED..SEED+K-1)")
    s.add_argument("--fixed-split", action="store_true",
                   help="one split (made with SEED) for every seed; default: each seed its own split, unless the "
                   "experiment is scored on the paper's own test images")
    r = s.add_argument_group("where the trials run")
    r.add_argument("--serial", action="store_true",
                   help="run the trials one after another in this process (no Ray; the same trial folders)")
    r.add_argument("--address", metavar="ADDR",
                   help="a running Ray cluster (e.g. ray://head:10001 or auto); default: start a local Ray. Every "
                   "node needs lungxray installed, --out on a shared folder (the driver aggregates the trial folders), "
                   "and --data-dir, --cache and a --weights PATH at the same paths (a shared folder, or a copy "
                   "each: then every node decodes once into its own cache)")
    r.add_argument("--cpus-per-trial", type=float, metavar="N",
                   help="CPUs each trial reserves where there is no GPU (default: all the cores of the smallest "
                   "node); with GPUs each trial takes one GPU")
    r.add_argument("--cache", metavar="DIR", help="decode cache the trials share (default $LUNGXRAY_CACHE, else "
                   "~/.cache/lungxray)")
    d = s.add_argument_group("data and runs (as for `lungxray run`)")
    d.add_argument("--data-dir", help="dataset folder (else $LUNGXRAY_DATA)")
    d.add_argument("--weights", default="imagenet", help="imagenet (default), none, or PATH")
    d.add_argument("--epochs", type=int, help="override the paper's epoch count (marks the runs as not faithful)")
    d.add_argument("--allow-count-mismatch", action="store_true",
                   help="run even when per-class counts differ from the published dataset (marked in the results)")
    d.add_argument("--smoke", action="store_true", help="generated data, few epochs: proves the machinery")
    d.add_argument("--out", help="root folder of the sweep (default sweeps/STUDY)")
    s.add_argument("--json", action="store_true", help='print {"sweeps": [sweep.json paths], "failed": N} as JSON')
    s.set_defaults(fn=handler)


def run(a: argparse.Namespace, argv: list[str]) -> int:
    from lungxray.errors import LungxrayError
    from lungxray.spec.study import get_study
    from lungxray.sweep.runner import SweepOptions, run_sweep, sweep_command

    if a.epochs is not None and a.epochs < 1:
        raise LungxrayError(f"--epochs {a.epochs}: a run trains at least one epoch")
    if a.all_variants and a.vary:
        raise LungxrayError("--all-variants varies every variant that applies; --vary picks some: give one of them")
    if a.address and a.serial:
        raise LungxrayError("--serial runs in this process; --address names a Ray cluster: give one of them")
    study = get_study(a.study)
    opts = SweepOptions(tuple(a.experiment), tuple(a.vary), a.full_grid, a.runs, a.seed, a.fixed_split, a.serial,
                        a.address, a.cpus_per_trial, a.data_dir, a.weights, a.epochs, a.smoke,
                        a.allow_count_mismatch, a.out, a.cache)
    logging.getLogger("lungxray").setLevel(logging.INFO)
    written, failed = run_sweep(study, opts, sweep_command(study, argv))
    if a.json:
        emit_json({"sweeps": [str(p) for p in written], "failed": failed})
    else:
        for p in written:
            print(f"wrote {p} and {p.with_name('sweep.pdf')}")
            from lungxray.results.sweep import SweepResult

            for c in SweepResult.load(p).curves:
                if not c.informational:
                    print(f"  {c.sentence}")
        if failed:
            print(f"{failed} trial(s) failed after a retry (see sweep.json); the same command reruns them",
                  file=sys.stderr)
    return 1 if failed else 0
