import json

import pytest

from lungxray.cli.bench import main

pytestmark = pytest.mark.slow


def test_bench_measures_three_loaders_and_json_is_json_only(capsys):
    assert main("cnn_vs_lstm", None, 1, True) == 0
    r = json.loads(capsys.readouterr().out)  # nothing but the JSON on stdout (Keras' "Found N images" goes to stderr)
    assert r["model_only"] > 0 and r["pipeline_cold"] > 0 and r["pipeline_warm"] > 0
    assert r["image_data_generator"] and r["image_data_generator"] > 0
    assert r["pipeline_warm_sequential"] > 0  # cnn_vs_lstm augments: the layer-by-layer figure is there too
    assert set(r["ratios"]) >= {"pipeline_warm / model_only", "pipeline_warm / ImageDataGenerator",
                                "pipeline_warm_sequential / model_only"}
    assert set(r["targets"]) == {"pipeline_warm / model_only >= 0.9", "pipeline_warm / ImageDataGenerator >= 2"}


def test_cache_check_bench_reports_its_ratios(tmp_path):
    """`lungxray bench --cache-check` on generated PNGs: every figure there, the ratios consistent with them."""
    from lungxray.cli.bench_cache import measure

    r = measure(str(tmp_path / "none"), n=8, size=32)  # no PNGs there: generated ones
    assert r["images"] == 8 and r["source"] == "generated 299 px PNGs"
    assert r["decode_ms"] > 0 and r["read_checked_ms"] > 0
    assert r["checked_read_over_decode"] == pytest.approx(r["read_checked_ms"] / r["decode_ms"])
