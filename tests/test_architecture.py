"""The shape of the package: TF-free declarations, one builder contract, short functions."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from lungxray.models import MODELS, build_model, output_activation
from lungxray.models.weight_files import PRETRAINED_PART
from lungxray.spec.study import ModelConfig, load_studies

ROOT = Path(__file__).resolve().parents[1]


def test_declarations_load_without_tensorflow():
    """spec/, results/, judge/ and audit/ (every module of each), the commands that read results and every study
    module load without TensorFlow or Keras."""
    packages = ("spec", "results", "judge", "audit")
    mods = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for pkg in packages for p in (ROOT / "lungxray" / pkg).rglob("*.py"))
    mods += ["lungxray.cli.check", "lungxray.cli.table", "lungxray.models", "lungxray.run.prepare"]
    code = ("import importlib, sys\n"
            f"for m in {mods!r}: importlib.import_module(m)\n"
            "from lungxray.spec.study import load_studies\n"
            "load_studies()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _last_dense(model):
    """The layer that makes the model's output (inside a composed backbone + head, the head's last)."""
    import keras

    layer = model.layers[-1]
    while isinstance(layer, keras.Model):
        layer = layer.layers[-1]
    assert isinstance(layer, keras.layers.Dense), layer
    return layer


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("n_out", [1, 3])
def test_every_registered_model_keeps_the_builder_contract(name, n_out):
    import numpy as np

    uses_pretrained = name in PRETRAINED_PART
    shape = (32, 32, 1 if name.startswith("simple") else 3)
    model = build_model(ModelConfig(name, {}, uses_pretrained), n_out, shape, None)
    assert model.output_shape == (None, n_out)
    assert _last_dense(model).activation.__name__ == output_activation(n_out)
    p = np.asarray(model.predict(np.random.default_rng(0).random((2, *shape), dtype=np.float32), verbose=0))
    assert p.shape == (2, n_out) and np.all((p >= 0) & (p <= 1))
    if n_out > 1:
        assert np.allclose(p.sum(axis=1), 1, atol=1e-5)


def _variant_models():
    """Every distinct model (and input shape) a study variant configures."""
    seen = {}
    for st in load_studies().values():
        settings = [{}] + [{v.name: c} for v in st.variants for c in v.choices]
        for exp in st.experiments:
            for choice in settings:
                try:
                    cfg = st.resolve(exp, choice)
                except (ValueError, KeyError):
                    continue
                n_out = 1 if cfg.binary_positive else len(cfg.classes)
                key = (cfg.model.name, repr(sorted(cfg.model.params.items())), cfg.image.channels, n_out)
                seen.setdefault(key, (f"{st.id}/{exp.name}", cfg, n_out))
    return list(seen.values())


@pytest.mark.slow
@pytest.mark.parametrize("where,cfg,n_out", _variant_models(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_study_variant_model_builds(where, cfg, n_out):
    shape = (cfg.image.size, cfg.image.size, cfg.image.channels)  # some heads pool by the feature-map size
    model = build_model(cfg.model, n_out, shape, None)
    assert model.output_shape == (None, n_out), where
    assert _last_dense(model).activation.__name__ == output_activation(n_out), where


def _functions():
    for path in sorted([*(ROOT / "lungxray").rglob("*.py"), *(ROOT / "reproductions").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield f"{path.relative_to(ROOT)}:{node.name}", node.end_lineno - node.lineno + 1


def test_no_function_in_the_package_or_a_study_is_60_lines_or_longer():
    long = {name: n for name, n in _functions() if n >= 60}
    assert not long, f"split these along their seams: {long}"


def test_tensorboard_adds_keras_callback_in_the_run_folder(tmp_path):
    import keras
    import tensorflow as tf

    from lungxray.run.fit import FitOptions, _callbacks
    from lungxray.spec.study import get_study

    cfg = get_study("uly2023").resolve("lstm")

    class Inputs:  # what _callbacks reads of a pipeline
        epoch, augmenter = tf.Variable(0), None

    plain = _callbacks(Inputs(), cfg, FitOptions(seed=0), tmp_path)
    logged = _callbacks(Inputs(), cfg, FitOptions(seed=0, tensorboard=True), tmp_path)
    assert not any(isinstance(c, keras.callbacks.TensorBoard) for c in plain)
    [tb] = [c for c in logged if isinstance(c, keras.callbacks.TensorBoard)]
    assert tb.log_dir == str(tmp_path / "tensorboard")
