"""Datasets: registry, discovery, verification, splits, tf.data pipeline, balancing."""

from lungxray.data.discovery import discover, find_root, locate_source
from lungxray.data.layouts import Record
from lungxray.data.registry import REGISTRY, DatasetSpec, get_dataset

__all__ = ["REGISTRY", "DatasetSpec", "Record", "discover", "find_root", "get_dataset", "locate_source"]
