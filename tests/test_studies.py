"""Model Garden style: every registered study and every variant choice yields a valid config."""

import pytest

from lungxray.data import REGISTRY
from lungxray.judge import metrics as M
from lungxray.models.weight_files import BACKBONES
from lungxray.spec.study import load_studies

STUDIES = load_studies()


def test_studies_are_registered():
    assert "syakuroh2025" in STUDIES


@pytest.mark.parametrize("sid", sorted(STUDIES))
def test_every_variant_choice_configures(sid):
    st = STUDIES[sid]
    assert st.dataset in REGISTRY
    for v in st.variants:
        for choice in v.choices:
            for exp in st.experiments:
                cfg = exp.configure(st.resolve_variants({v.name: choice}))
                assert set(cfg.classes) <= set(REGISTRY[cfg.dataset].classes)
                assert cfg.image.scaling in {"rescale"} | {BACKBONES[a].scaling for a in BACKBONES}
                assert cfg.train.epochs > 0 and cfg.train.batch_size > 0


@pytest.mark.parametrize("sid", sorted(STUDIES))
def test_published_numbers_are_well_formed(sid):
    st = STUDIES[sid]
    for exp in st.experiments:
        cfg = exp.configure(st.defaults())
        keys = set(M.compute([0, 1], [0, 1], cfg.classes, 1 if cfg.binary_positive else None,
                             cfg.train.batch_size if cfg.train.batch_mean_accuracy else None))
        keys |= set(M.FROM_PROBABILITIES)
        for pm in exp.published.metrics:
            assert pm.key in keys, f"{sid}/{exp.name}: {pm.key} is not a metric lungxray computes"
            assert 0 <= pm.value <= 1 and 0 < pm.tolerance < 0.5
            assert pm.expectation in ("reproduces", "deviates")
            assert pm.expectation == "reproduces" or pm.reason
        h = exp.published.history
        assert len({len(v) for v in h.values()}) <= 1


def test_unknown_variant_is_refused():
    st = STUDIES["syakuroh2025"]
    with pytest.raises(ValueError, match="unknown variant"):
        st.resolve_variants({"nope": "x"})
    with pytest.raises(ValueError, match="is not one of"):
        st.resolve_variants({"head": "x"})
