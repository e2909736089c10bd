import json

import pytest

from lungxray.cli.main import main
from lungxray.errors import ResultsError
from lungxray.judge.seeds import aggregate
from lungxray.results import files as R


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    R.atomic_write_text(tmp_path / "a.json", "{}")
    R.atomic_write_text(tmp_path / "a.json", '{"x": 1}')
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    R.atomic_write_text(tmp_path / "a.json", "old")
    with pytest.raises(TypeError):
        R.atomic_write_bytes(tmp_path / "a.json", "not bytes")  # type: ignore[arg-type]
    assert (tmp_path / "a.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_finished_run_folder_is_never_overwritten(tmp_path):
    run = tmp_path / "exp"
    assert R.prepare_run_dir(run) == run
    assert R.prepare_run_dir(run) == run  # unfinished: reused (resume)
    (run / R.RESULTS).write_text("{}")
    assert R.prepare_run_dir(run) == tmp_path / "exp-2"
    assert R.prepare_run_dir(run) == tmp_path / "exp-3"
    assert R.prepare_run_dir(run, overwrite=True) == run
    assert not (run / R.RESULTS).exists()


@pytest.mark.parametrize("content,match", [
    ('{"schema": "lungxray.results/1", "study": "x"', "not readable JSON"),
    ('{"schema": "something-else/2"}', "not a lungxray results file"),
    ('[1, 2]', "not a lungxray results file"),
    ('{"schema": "lungxray.results/1", "study": "x"}', "lacks required"),
])
def test_corrupt_or_foreign_results_are_refused(tmp_path, content, match):
    (tmp_path / R.RESULTS).write_text(content)
    with pytest.raises(ResultsError, match=match):
        R.load_results(tmp_path)


def test_check_and_report_exit_nonzero_without_traceback(tmp_path, capsys):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / R.RESULTS).write_text("garbage")
    assert main(["check", str(tmp_path)]) == 1
    assert "not readable JSON" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "r")]) == 2
    assert "not readable JSON" in capsys.readouterr().err


def _row(acc, se, n, key="accuracy", label="Accuracy"):
    from lungxray.results.types import ComparisonRow, Interval

    return ComparisonRow(key=key, label=label, definition="", source="T", published=0.9,
                         published_interval=(0.895, 0.905), reproduced=acc,
                         interval=Interval(acc, acc - 1.96 * se, acc + 1.96 * se, se, "wilson", n),
                         difference=acc - 0.9, tolerance=0.02, expectation="reproduces", reason="",
                         informational=False, verdict="x")


def _fake(acc, seed, faithful=True, se=0.01, n=1000, split_seed=1):
    from types import SimpleNamespace as NS

    return NS(study="s", experiment="e", faithful=faithful, departures=[],
              config=NS(split=NS(method="stratified", random_state=None)),
              provenance=NS(seed=seed, split_seed=split_seed), evaluation=NS(metrics={"accuracy": acc}),
              comparison=[_row(acc, se, n)])


def test_aggregate_interval_is_where_one_more_run_lands_under_the_sets_design():
    from dataclasses import replace

    from scipy.stats import t

    agg = aggregate([_fake(0.87, 1), _fake(0.89, 2), _fake(0.85, 3)])  # one split: its test noise shared
    st = agg.metrics["accuracy"]
    assert abs(st.mean - 0.87) < 1e-12 and abs(st.std - 0.02) < 1e-12
    (row,) = agg.comparison
    assert agg.design == row.design == "own fixed split"
    w = 2 * 0.01 ** 2 + 0.02 ** 2 * (1 + 1 / 3)  # a new run on other images: two test-set noises and the seeds'
    df = w ** 2 * 2 / (0.02 ** 2 * (1 + 1 / 3)) ** 2  # Welch-Satterthwaite: s^2 has K - 1 = 2 df
    assert abs(row.interval.hi - (0.87 + t.ppf(0.975, df) * w ** 0.5)) < 1e-9 and row.interval.method == "seeds"
    assert row.verdict == "inconclusive" and "lower" in row.direction
    resplit = aggregate([_fake(0.87, 1, split_seed=1), _fake(0.89, 2, split_seed=2), _fake(0.85, 3, split_seed=3)])
    # each seed its own test images: the spread already holds the test noise, nothing is added twice
    assert resplit.design == "resplit"
    assert resplit.comparison[0].interval.hi == pytest.approx(0.87 + t.ppf(0.975, 2) * 0.02 * (4 / 3) ** 0.5)
    tight = aggregate([_fake(0.80, 1, se=0.0001), _fake(0.80, 2, se=0.0001)])
    assert tight.comparison[0].verdict == "not reproduced"
    close = aggregate([_fake(0.90, 1, se=0.001), _fake(0.901, 2, se=0.001), _fake(0.90, 3, se=0.001)])
    assert close.comparison[0].verdict == "consistent"
    # rows are matched by key, not by position
    a, b = _fake(0.87, 1), _fake(0.89, 2)
    b.comparison = list(reversed(b.comparison + [replace(b.comparison[0], key="x", label="X")]))
    a.comparison.append(replace(a.comparison[0], key="x", label="X"))
    assert [r.key for r in aggregate([a, b]).comparison] == ["accuracy", "x"]
    empty = _fake(0.89, 2)
    empty.comparison = []
    with pytest.raises(R.ResultsError):
        aggregate([_fake(0.87, 1), empty])
    assert aggregate([_fake(0.9, 1, False)]).comparison[0].verdict.startswith("not comparable")
