import pytest

from lungxray.bench import bench

pytestmark = pytest.mark.slow


def test_bench_measures_three_loaders():
    r = bench("cnn_vs_lstm", batches=1)
    assert r.model_only > 0 and r.pipeline_cold > 0 and r.pipeline_warm > 0
    assert r.image_data_generator and r.image_data_generator > 0
    assert set(r.ratios()) >= {"pipeline_warm / model_only", "pipeline_warm / ImageDataGenerator"}
    assert "ImageDataGenerator" in r.to_text()
