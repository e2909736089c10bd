"""uly2023: model selection, input scaling, and the audit of its tables and prose."""

import pytest

from lungxray.audit.claims import SEVERITIES
from lungxray.judge import metrics as M
from reproductions import uly2023 as U

ST = U.STUDY


def _cfg(exp: str, **choices):
    return ST.experiment(exp).configure(ST.resolve_variants(choices))


def test_selection_follows_highest_validation_accuracy():
    assert all(_cfg(e.name).train.select_best == "val_accuracy" for e in ST.experiments)
    assert _cfg("resnet50_lstm", selection="val_loss").train.select_best == "val_loss"
    assert _cfg("resnet50_lstm", selection="last").train.select_best is None


def test_scaling_is_the_papers_divide_by_255_unless_the_variant_asks():
    assert {_cfg(e.name).image.scaling for e in ST.experiments} == {"rescale"}
    assert _cfg("resnet50", scaling="resnet50").image.scaling == "resnet50"
    assert _cfg("resnet50_lstm", scaling="resnet50").image.scaling == "resnet50"
    assert _cfg("lstm", scaling="resnet50").image.scaling == "rescale"  # no pretrained part
    (v,) = [v for v in ST.variants if v.name == "scaling"]
    assert "resnet50" in v.departs and v.default not in v.departs


def test_table6_follows_from_the_printed_confusion_matrices():
    for name, cm in U.PRINTED_CM.items():
        pub = ST.experiment(name).published
        m = M.from_confusion(pub.confusion_matrix, U.CLASSES, positive=1)
        assert [round(m[k], 2) for k in ("accuracy", "precision", "recall", "f1")] == list(U.TABLE6[name])
        assert sum(map(sum, cm)) == U.SPLIT_SIZES["test"] and sum(cm[0]) == U.TEST_COUNTS["COVID"]


def test_declared_sets_and_triples():
    assert U.SPLIT_SIZES == {"train": 800, "val": 100, "test": 100}
    assert {k: n for k, (_s, n) in U.TABLE2_MEASURED_ON.items()} == {"loss": 800, "accuracy": 800,
                                                                     "val_loss": 100, "val_accuracy": 100}
    assert U.TRIPLES["resnet50_lstm"] == {"accuracy": 0.95, "precision": 0.96, "recall": 0.94, "n": 100}
    fe = ST.experiment("lstm").published.final_epoch
    assert tuple(fe[k] for k in U.TABLE2_COLUMNS) == U.TABLE2["lstm"]


def test_audit_checks_the_prose_against_tables_2_6_and_7():
    claims = ST.audit()
    assert all(c.severity in SEVERITIES for c in claims)
    bad = {c.claim: c for c in claims if c.kind == "consistency" and not c.consistent}
    assert "ResNet50 has a lower training loss than LSTM (said twice)" in bad
    best = [c for t, c in bad.items() if t.startswith("ResNet50 is the best model")]
    assert best and best[0].severity == "minor" and best[0].tool == "prose"  # its reason agrees with Table 2
    assert "the highest accuracy of Table 7 is the CNN's 98%" in bad
    ok = {c.claim for c in claims if c.kind == "consistency" and c.consistent}
    assert "resnet50_lstm overfits (validation loss above training loss)" in ok
    assert "ResNet50-LSTM is better than ResNet50 and LSTM on val_loss" in ok
    findings = [c for c in claims if c.kind == "finding"]
    # conditional on ImageNet weights the paper never names: an inference, minor
    (scaled,) = [c for c in findings if "/255" in c.claim]
    assert scaled.severity == "minor" and scaled.inference
    # ref [5]'s 92.86% / 85.71% are 13/14 and 6/7: a 14-image test set
    (ref5,) = [c for c in findings if "ref [5]'s 92.86%" in c.claim]
    assert ref5.evidence["accuracy_set_sizes"][0] == 14 and ref5.evidence["sensitivity_set_sizes"][0] == 7
    assert ref5.evidence["table7_row_on_7_plus_7"]["examples"][0] == [6, 1, 0, 7]


def test_backbone_variant_offers_the_from_scratch_reading_with_evidence_both_ways():
    backbone = next(v for v in ST.variants if v.name == "backbone")
    assert set(backbone.choices) == {"frozen", "trainable", "scratch"} and backbone.default == "frozen"
    assert "scratch" not in backbone.departs  # the paper names no weights: not against its text
    for word in ("weights=None", "divided by 255", "layer by layer", "Table 2"):
        assert word in backbone.why_default
    for exp in ("resnet50", "resnet50_lstm"):
        cfg = ST.resolve(exp, {"backbone": "scratch"})
        assert not cfg.model.uses_pretrained and cfg.model.params["frozen"] is False
        assert cfg.image.scaling == "rescale"
        default = ST.resolve(exp)
        assert default.model.uses_pretrained and default.model.params["frozen"] is True  # default unchanged
    subset = next(v for v in ST.variants if v.name == "subset")
    assert "first-lexicographic" in subset.choices and subset.default == "first"


def test_citation_names_the_authors():
    assert "Uly" in ST.citation and "Iriani" in ST.citation and "2023" in ST.citation
    assert "unknown" not in ST.citation.lower()


def test_subset_orders_first_natural_and_first_lexicographic():
    from dataclasses import replace

    from lungxray.data.layouts import Record
    from lungxray.run.prepare import select_subset

    recs = [Record(f"{c}/images/{c}-{i}.png", c) for c in ("Normal", "COVID") for i in range(1, 13)]
    base = replace(ST.resolve("lstm"), per_class_limit=3)
    first = select_subset(recs, replace(base, subset_selection="first"), 0)
    lexi = select_subset(recs, replace(base, subset_selection="first-lexicographic"), 0)
    assert [r.path.split("/")[-1] for r in first if r.label == "COVID"] == ["COVID-1.png", "COVID-2.png", "COVID-3.png"]
    assert [r.path.split("/")[-1] for r in lexi if r.label == "COVID"] == ["COVID-1.png", "COVID-10.png",
                                                                            "COVID-11.png"]
    with pytest.raises(ValueError, match="subset_selection"):
        select_subset(recs, replace(base, subset_selection="last"), 0)


@pytest.mark.realdata
def test_a_copy_with_enough_images_per_class_is_refused_in_the_studys_terms(capsys):
    """500 per class from 600 per class: the error quotes what the study takes and what the copy has, and says the
    flag makes it a minor departure (not the full release's 10,192 Normal as if all were needed)."""
    from lungxray.run.runner import main
    from tests.helpers import shared

    data = shared("covid19-radiography")
    code = main(U.STUDY, ["--data-dir", str(data), "--weights", "none", "--experiment", "lstm", "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert "this study takes 500 images per class" in err and "this copy has Normal 600, COVID 600: enough" in err
    assert "--allow-count-mismatch" in err and "minor departure" in err
