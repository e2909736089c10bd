import json
import subprocess
import sys

import pytest

from lungxray.cli.bench_data import measure, to_text
from lungxray.data.synthetic import make_full_size

pytestmark = pytest.mark.slow


def test_data_stage_second_run_reads_the_cache(tmp_path):
    data = make_full_size("covid19-radiography", tmp_path / "d", 40, 64)
    r = measure(str(data), "covid19-radiography", 40, 64, str(tmp_path / "cache")).to_dict()
    assert set(r["stages"]) >= {"discover", "screen + decode + cache fill", "split", "load (distinct images into "
                                "memory or streamed)"}
    assert "screen (hash, cache hit)" in r["second"] and r["cache_mib"] > 0 and r["peak_rss_mib"] > 0
    assert "extrapolated" in to_text(r)


def test_cli_data_stage_json(tmp_path):
    out = subprocess.run([sys.executable, "-m", "lungxray", "bench", "--data-stage", "--dataset", "covid19-radiography",
                          "--fraction", "0.002", "--work", str(tmp_path), "--json"], capture_output=True, text=True,
                         check=True, timeout=600).stdout
    (r,) = json.loads(out)
    assert r["files"] == 44 and r["dataset"] == "covid19-radiography" and r["second / first"] > 0
