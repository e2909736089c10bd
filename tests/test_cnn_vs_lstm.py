"""cnn_vs_lstm: positive-class vs macro readings, several LSTM layers, unstated training settings."""

import pytest

from lungxray.audit.claims import SEVERITIES
from lungxray.judge.verdict import comparison_rows
from reproductions import cnn_vs_lstm as C

ST = C.STUDY


def _cfg(exp: str, **choices):
    return ST.experiment(exp).configure(ST.resolve_variants(choices))


def test_default_cnn_lstm_has_several_lstm_layers():
    assert len(_cfg("cnn_lstm").model.params["lstm_units"]) > 1
    (v,) = [v for v in ST.variants if v.name == "lstm_units"]
    assert all(len(c.split("-")) > 1 or c in v.departs for c in v.choices)


def test_builder_default_stacks_lstms():
    pytest.importorskip("keras")
    from lungxray.models.simple import simple_cnn_lstm

    model = simple_cnn_lstm(2, (32, 32, 1), filters=(4,))
    assert sum(type(layer).__name__ == "LSTM" for layer in model.layers) == 2


def test_batch_size_and_learning_rate_reduction_are_variants():
    t = _cfg("cnn").train
    assert (t.batch_size, t.reduce_lr_factor, t.reduce_lr_patience, t.reduce_lr_monitor) == (32, 0.1, 10, "val_loss")
    t = _cfg("cnn_lstm", batch_size="16", reduce_lr="f0.5-p3").train
    assert (t.batch_size, t.reduce_lr_factor, t.reduce_lr_patience) == (16, 0.5, 3)
    assert t.select_best is None and _cfg("cnn", selection="val_loss").train.select_best == "val_loss"


def _mets():
    return {"accuracy": 0.9, "precision[abnormal]": 0.70, "recall[abnormal]": 0.60, "f1[abnormal]": 0.646,
            "macro_precision": 0.80, "macro_recall": 0.75, "macro_f1": 0.77}


@pytest.mark.parametrize("reading", ["positive", "macro"])
def test_comparison_uses_the_variants_reading_and_shows_both(reading):
    exp = ST.experiment("cnn")
    cfg = _cfg("cnn", metrics=reading)
    rows = {r.key: r for r in comparison_rows(exp, _mets(), {}, faithful=True, design="own fixed split",
                                              classes=cfg.classes, positive=None, compare_as=cfg.compare_as)}
    row = rows["precision[abnormal]"]
    assert row.compared_with == C.READINGS[reading]["precision"]
    assert row.reproduced == _mets()[C.READINGS[reading]["precision"]]
    assert row.readings == {"precision[abnormal]": 0.70, "macro_precision": 0.80}
    assert row.published == C.PUBLISHED["cnn"][1]
    assert rows["accuracy"].reproduced == 0.9 and rows["accuracy"].readings is None


def test_declared_data_and_audit():
    assert C.TRIPLES["cnn_lstm"] == {"accuracy": 0.941, "precision": 0.925, "recall": 0.919}
    m, s = C.SOURCES["montgomery"], C.SOURCES["shenzhen"]
    assert (m["normal"], m["abnormal"], s["normal"], s["abnormal"]) == (80, 58, 336, 326)
    claims = ST.audit()
    assert all(c.severity in SEVERITIES for c in claims)
    assert all(c.consistent for c in claims if c.kind == "consistency")
    # the paper states neither the split unit nor how many ChestX-ray14 images it used: an inference, capped at major
    (leak,) = [c for c in claims if c.kind == "finding" and "patient grouping" in c.claim]
    assert leak.severity == "major" and leak.inference and leak.rule == "inference"
    assert any("Shenzhen" in c.claim for c in claims if c.kind == "finding")


def test_implied_prevalence_is_one_finding_not_an_inconsistency():
    from lungxray.audit.runner import audit_study

    recs = [c for c in audit_study(ST) if c.tool == "prevalence"]
    (rec,) = recs  # both models' triples in one record
    assert rec.kind == "finding" and rec.severity == "minor" and rec.inference
    lo, hi = rec.evidence["overlap"]
    assert abs(lo - 0.3823) < 1e-4 and abs(hi - 0.3851) < 1e-4  # both models could share one test set
    assert all(rec.evidence["ruled_out"].values())  # neither all the described data nor a balanced test set


def test_citation_does_not_invent_authors():
    assert "unknown" not in ST.citation.lower() and "not printed" in ST.citation
