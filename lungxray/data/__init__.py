"""Datasets: registry, discovery, verification, splits, tf.data pipeline, balancing."""

from lungxray.data.datasets import REGISTRY, DatasetSpec, get_dataset
from lungxray.data.discovery import discover, find_root, locate_source
from lungxray.data.layouts import Record

__all__ = ["REGISTRY", "DatasetSpec", "Record", "discover", "find_root", "get_dataset", "locate_source"]
