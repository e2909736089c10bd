import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


import pytest  # noqa: E402


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """A temporary KERAS_HOME for this process (Keras reads the variable once, at import, so its cached value is
    patched): weights files placed in ``keras_home / "models"`` are the ones Keras loads."""
    from keras.src.backend import config

    home = tmp_path / "keras_home"
    (home / "models").mkdir(parents=True)
    monkeypatch.setattr(config, "_KERAS_DIR", str(home))
    return home
