"""Every registered dataset is consistent, and its synthetic twin is found by discovery."""

import pytest

from lungxray.data import REGISTRY, discover
from lungxray.data.synthetic import make_dataset


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_entry_is_consistent(key):
    spec = REGISTRY[key]
    assert set(spec.expected_counts) == set(spec.classes)
    assert spec.layouts and spec.label_source
    assert spec.kaggle_handle or spec.handle_note, "say where the data comes from, or that it is unknown"
    if spec.expected_split_counts:
        for c in spec.classes:
            assert sum(per[c] for per in spec.expected_split_counts.values()) == spec.expected_counts[c]


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_synthetic_twin_round_trips(tmp_path, key):
    spec = REGISTRY[key]
    make_dataset(key, tmp_path, per_class=3, size=16)
    found = discover(spec, tmp_path)
    assert {r.label for r in found.records} == set(spec.classes)
    assert not found.scan.missing_classes


def test_known_counts():
    assert REGISTRY["covid19-radiography"].total == 21165
    assert REGISTRY["syakuroh-4class"].total == 12539
    assert REGISTRY["chest-ctscan"].total == 1000
    assert REGISTRY["syakuroh-4class"].kaggle_handle is None
