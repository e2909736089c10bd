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


@pytest.fixture(autouse=True, scope="session")
def _decode_cache(tmp_path_factory):
    """Tests (and the runs they start) use a decode cache of their own, never the user's ~/.cache/lungxray."""
    from lungxray.data.cache import CACHE_ENV

    if not os.environ.get("LUNGXRAY_TEST_KEEP_CACHE"):
        os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("decode-cache"))
    yield


@pytest.fixture(scope="session")
def registered_audit():
    """Every registered study's audit records, computed once per test session (covid_balancing's split recovery
    alone takes tens of seconds): the tests that read them share one tuple and must not change the records."""
    from lungxray.audit.runner import run_audit
    from lungxray.spec.study import load_studies

    return tuple(run_audit(load_studies().values()))


@pytest.fixture(autouse=True)
def _progress_quiet_reset():
    """``-q`` turns progress bars off for the whole process (``lungxray._util.progress.set_quiet``): a test that
    runs ``main(["-q", ...])`` in-process must not leave the next test quiet."""
    yield
    from lungxray._util import progress

    progress.set_quiet(False)
