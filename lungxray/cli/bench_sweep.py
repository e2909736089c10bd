"""``lungxray bench --sweep``: what running a sweep's trials on Ray costs against running them serially.

The same smoke sweep (uly2023's LSTM, the default and one switch, two seeds: four ordinary runs on generated
images, a warm decode cache) is run as a user runs it, ``python -m lungxray sweep`` in a fresh process, into fresh
folders: with ``--serial`` and on a local Ray, alternating, ``rounds`` times each. Each pays its own start-up
(Python, TensorFlow's import: in the process with ``--serial``, in the Ray worker otherwise). Ray's start-up is
timed on its own in a fresh process (``import ray`` and ``ray.init`` until a worker answers a task), and so is its
shutdown (``ray.shutdown``, which every Ray sweep pays at its end). Printed: each wall time, the difference per trial,
and the difference beyond Ray's start-up and shutdown: the target is that the Ray sweep is slower than the serial
one by no more than starting and stopping Ray itself.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUDY, EXPERIMENT, VARY, RUNS = "uly2023", "lstm", "dropout", 2


def _sweep(out: Path, cache: Path, serial: bool) -> float:
    cmd = [sys.executable, "-m", "lungxray", "-q", "sweep", STUDY, "--experiment", EXPERIMENT, "--vary", VARY,
           "--runs", str(RUNS), "--smoke", "--out", str(out), "--cache", str(cache), "--json"]
    t0 = time.perf_counter()
    subprocess.run(cmd + (["--serial"] if serial else []), check=True, capture_output=True, text=True)
    return time.perf_counter() - t0


RAY_START_STOP = """
import logging, time
t0 = time.perf_counter()
import ray
ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
ray.get(ray.remote(lambda: None).remote())
t1 = time.perf_counter()
ray.shutdown()
print(t1 - t0, time.perf_counter() - t1)
"""


def _ray_start_stop() -> tuple[float, float]:
    """Seconds from ``import ray`` until a worker answers a task, and for ``ray.shutdown``, in a fresh process."""
    done = subprocess.run([sys.executable, "-c", RAY_START_STOP], check=True, capture_output=True, text=True)
    start, stop = done.stdout.strip().splitlines()[-1].split()
    return float(start), float(stop)


def measure(rounds: int = 2) -> dict:
    serial, on_ray, startup, shutdown = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="lungxray-bench-sweep-") as tmp:
        work = Path(tmp)
        _sweep(work / "warm", work / "cache", serial=True)  # decode cache and TensorFlow warm for both
        for i in range(rounds):
            order = (True, False) if i % 2 == 0 else (False, True)
            for ser in order:
                t = _sweep(work / f"r{i}-{'serial' if ser else 'ray'}", work / "cache", serial=ser)
                (serial if ser else on_ray).append(t)
            up, down = _ray_start_stop()
            startup.append(up)
            shutdown.append(down)
    trials = 2 * RUNS
    s, r = statistics.median(serial), statistics.median(on_ray)
    u, d = statistics.median(startup), statistics.median(shutdown)
    return {"trials": trials, "serial_s": serial, "ray_s": on_ray, "ray_startup_s": startup, "ray_shutdown_s": shutdown,
            "serial_median_s": s, "ray_median_s": r, "ray_startup_median_s": u, "ray_shutdown_median_s": d,
            "ray_over_serial": r / s, "overhead_per_trial_s": (r - s) / trials,
            "overhead_beyond_startup_s": r - s - u, "overhead_beyond_start_stop_s": r - s - u - d,
            "within_target": r - s <= u + d}


def main(as_json: bool, rounds: int = 2) -> int:
    from lungxray.errors import LungxrayError
    from lungxray.sweep.execute import RAY_MISSING

    try:
        import ray  # noqa: F401
    except ImportError:
        raise LungxrayError(RAY_MISSING) from None
    r = measure(rounds)
    if as_json:
        print(json.dumps(r))
        return 0
    print(f"sweep of {r['trials']} smoke trials ({STUDY}/{EXPERIMENT}, {VARY} x {RUNS} seeds), median of "
          f"{len(r['serial_s'])} rounds:")
    each = lambda xs: ", ".join(f"{x:.1f}" for x in xs)  # noqa: E731
    print(f"  serial (one process)   {r['serial_median_s']:6.1f} s   (rounds: {each(r['serial_s'])})")
    print(f"  Ray (local)            {r['ray_median_s']:6.1f} s   (rounds: {each(r['ray_s'])}); ratio "
          f"{r['ray_over_serial']:.2f}")
    print(f"  Ray start-up alone     {r['ray_startup_median_s']:6.1f} s   (rounds: {each(r['ray_startup_s'])})")
    print(f"  Ray shutdown alone     {r['ray_shutdown_median_s']:6.1f} s   (rounds: {each(r['ray_shutdown_s'])})")
    print(f"  Ray - serial: {r['ray_median_s'] - r['serial_median_s']:+.1f} s ({r['overhead_per_trial_s']:+.1f} s "
          f"per trial); beyond Ray's start-up: {r['overhead_beyond_startup_s']:+.1f} s; beyond its start-up and "
          f"shutdown: {r['overhead_beyond_start_stop_s']:+.1f} s ({'within' if r['within_target'] else 'OVER'} the "
          "target: no worse than serial by more than starting and stopping Ray)")
    return 0
