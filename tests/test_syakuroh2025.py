"""syakuroh2025: the defaults follow the paper's text and its printed numbers; the audit reads its prose."""

import pytest

from lungxray.audit.claims import SEVERITIES
from lungxray.audit.runner import audit_study
from reproductions import syakuroh2025 as S


def _fits(value: float, n: int, decimals: int) -> bool:
    """Whether some count k out of n prints as ``value`` with ``decimals`` decimals."""
    k = round(value * n)
    return any(0 <= j <= n and round(j / n, decimals) == value for j in (k - 1, k, k + 1))


def test_defaults_are_the_generator_reading():
    cfg = S.configure(S.STUDY.defaults())
    assert cfg.augment.semantics == "generator"
    assert cfg.image.resize_method == "nearest"
    assert cfg.image.scaling == "rescale"
    assert (cfg.train.val_steps, cfg.train.test_steps) == ("floor", "all")
    assert cfg.train.learning_rate == pytest.approx(1e-3)  # Keras' Adam() default: the paper names no rate
    assert cfg.train.batch_size == S.BATCH_SIZE and cfg.train.epochs == 5 and cfg.train.class_weight


def test_validation_accuracies_are_counts_of_full_batches_only():
    """The evidence behind val_steps=floor: Table 2's validation accuracies fit (n // 32) * 32 images
    and none of them fits all n images of Table 1."""
    n_val = S.TABLE1_SPLIT["total"][1]
    seen = n_val // S.BATCH_SIZE * S.BATCH_SIZE
    dec = S.TABLE2_DECIMALS["val_accuracy"]
    assert S.TABLE2_SETS["val_accuracy"] == ("val", n_val)
    assert all(_fits(v, seen, dec) for v in S.TABLE2_HISTORY["val_accuracy"])
    assert not any(_fits(v, n_val, dec) for v in S.TABLE2_HISTORY["val_accuracy"])


def test_test_set_was_scored_whole():
    """The evidence behind test_steps=all: every one-vs-rest row of Table 3 covers all test images."""
    n_test = S.TABLE1_SPLIT["total"][2]
    assert n_test == S.TEST_IMAGES
    assert {sum(row) for row in S.TABLE3_OVR.values()} == {n_test}
    assert n_test % S.BATCH_SIZE  # so floor steps would have dropped images


def test_training_accuracy_rules_out_floor_steps_every_epoch():
    n_train = S.TABLE1_SPLIT["total"][0]
    acc = S.TABLE2_HISTORY["accuracy"]
    assert all(_fits(v, n_train, 4) for v in acc)
    assert not _fits(acc[-1], n_train // S.BATCH_SIZE * S.BATCH_SIZE, 4)


def test_prose_statements_are_checked_and_only_the_accuracy_ones_fail():
    claims = audit_study(S.STUDY)
    assert all(c.severity in SEVERITIES for c in claims)
    prose = [c for c in claims if c.tool == "prose" and c.kind == "consistency"]
    texts = " | ".join(c.claim for c in prose)
    for phrase in ("22 misclassified", "error rate 1.17%", "3% false negative", "only one case confused",
                   "417 Cardiomegaly", "recall 98.88%"):
        assert phrase in texts
    bad = {c.claim.split(" (1 = true")[0] for c in prose if not c.consistent}
    assert bad == {"loss falls on both subsets, without overfitting"}  # validation loss rises at epoch 5
    # 'terdistribusi merata di setiap kelas' read as each class split 70/15/15 (what Table 1 shows), not equal sizes
    assert any("terdistribusi merata" in c.claim and c.consistent for c in prose)
    # the metric definition is one finding: 0.9942 is the mean one-vs-rest accuracy, the text's 1.17% error gives
    # 98.83%; a 0.59 pp gap under which the >= 90% conclusion survives: major (contradiction), not critical
    (acc,) = [c for c in claims if c.problem and "standard accuracy" in c.claim]
    assert acc.severity == "major" and acc.rule == "contradiction" and "1,17%" in acc.explanation
    assert not any(c.problem and "1 - the headline" in c.claim for c in claims)
    assert not [c for c in claims if c.problem and c.severity == "critical"]
    # the validation accuracies fit 1,856 = 1881 // 32 x 32 images: a recovered pipeline detail, minor
    (val,) = [c for c in claims if c.tool == "denominator" and "1881" in c.claim]
    assert val.problem and val.severity == "minor" and val.rule == "recovered-detail"


def test_evaluated_epoch_is_the_lowest_validation_loss():
    vl = S.TABLE2_HISTORY["val_loss"]
    assert vl.index(min(vl)) + 1 == S.EVALUATED_EPOCH == S.PROSE["lowest_val_loss"][0]
    pub = S.STUDY.experiments[0].published
    assert pub.final_epoch["val_loss"] == min(vl)


def test_citation_names_every_author_and_both_titles():
    for name in ("Syakuroh", "Monado", "Ariani", "Hadi", "Koriyanti", "Erni"):
        assert name in S.STUDY.citation
    assert "Analisis Akurasi Model MobileNetV2" in S.STUDY.citation and "Accuracy Analysis" in S.STUDY.citation
    assert "2025" in S.STUDY.citation


def test_every_variant_explains_its_default():
    assert all(v.why_default for v in S.VARIANTS)
    for v in S.VARIANTS:
        assert set(v.departs) <= set(v.choices) - {v.default}
