import json

import pytest

from lungxray import results as R
from lungxray.cli import main
from lungxray.errors import ResultsError


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
