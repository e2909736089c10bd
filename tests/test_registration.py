"""Registered tolerances (lungxray.spec.registration): every published number has a tolerance with a reason and
every experiment a primary row, fixed in reproductions/registration.json; `check` fails on any change."""

import dataclasses
import json

import pytest

from lungxray.spec import registration as REG
from lungxray.spec.study import load_studies


@pytest.fixture(scope="module")
def studies():
    return load_studies()


def test_every_study_is_registered_as_its_module_declares(studies):
    for study in studies.values():
        assert REG.differences(study) == [], study.id
        for exp in study.experiments:
            pub = exp.published
            assert pub.primary in {pm.key for pm in pub.metrics}, (study.id, exp.name)
            assert all(pm.tolerance_reason.strip() for pm in pub.metrics), (study.id, exp.name)


def _with_tolerance(study, tolerance):
    exp = study.experiments[0]
    first = dataclasses.replace(exp.published.metrics[0], tolerance=tolerance)
    pub = dataclasses.replace(exp.published, metrics=(first, *exp.published.metrics[1:]))
    return dataclasses.replace(study, experiments=(dataclasses.replace(exp, published=pub), *study.experiments[1:]))


def test_an_edited_tolerance_or_primary_fails_with_the_way_out(studies):
    uly = studies["uly2023"]
    (diff,) = REG.differences(_with_tolerance(uly, 0.08))
    assert "0.08" in diff and "registered on" in diff and "python -m lungxray register uly2023 --note" in diff
    exp = uly.experiments[0]
    other = dataclasses.replace(exp, published=dataclasses.replace(exp.published, primary="recall"))
    diffs = REG.differences(dataclasses.replace(uly, experiments=(other, *uly.experiments[1:])))
    assert any("primary" in d for d in diffs)


def test_a_hand_edited_registration_is_caught_and_reregistering_is_dated(studies, tmp_path, monkeypatch):
    import datetime

    from lungxray.spec.registration import ENV, FILE

    copy = tmp_path / FILE
    copy.write_text(REG.path_for("uly2023").read_text())
    monkeypatch.setenv(ENV, str(copy))
    data = json.loads(copy.read_text())
    rows = data["studies"]["uly2023"]["experiments"]["lstm"]["rows"]
    rows["accuracy @ Table 6"]["tolerance"] = 0.08  # edited to match a changed study module, without `register`
    copy.write_text(json.dumps(data))
    (diff,) = REG.differences(studies["uly2023"])
    assert "edited by hand" in diff
    with pytest.raises(ValueError, match="--note"):
        REG.register(studies["uly2023"], " ")
    REG.register(_with_tolerance(studies["uly2023"], 0.08), "test: a wider tolerance", datetime.date(2030, 1, 2))
    entry = json.loads(copy.read_text())["studies"]["uly2023"]
    assert entry["registered"] == "2030-01-02" and entry["history"][-1]["registered"] == "2026-12-04"
    assert REG.differences(studies["uly2023"])  # the module still says 0.05: check fails until they agree
