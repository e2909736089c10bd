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
