"""The pretrained weight files the studies use: names, download URLs, published hashes, checks.

Keras looks for its ImageNet files by name in its cache (``$KERAS_HOME/models``, read when Keras
is imported; ``~/.keras/models`` by default) and loads whatever file bears that name: it checks
ResNet50's against the md5 in its own hash table, MobileNetV2's against nothing. torchvision names
its checkpoints with the first 8 hex digits of their sha256 (``resnet18-f37072fd.pth``), which
``torch.hub`` checks on download. This module

- says which files a model configuration loads (``weight_files``, ``study_weight_files``),
- records the sha256 of each file a run actually loads and whether it matches the published hash
  (``recording`` around model building; ``note_loaded`` from the loaders), and
- turns that record into listed departures from the paper (``weights_departures``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lungxray.spec.registry import Registry

KERAS_CACHE, WEIGHTS_ARG = "keras-cache", "--weights"
# torch.hub.HASH_REGEX: the sha256 prefix between the last '-' and the first '.' of a checkpoint name
TORCH_HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
RESNET18_FILE = "resnet18-f37072fd.pth"
RESNET18_URL = f"https://download.pytorch.org/models/{RESNET18_FILE}"
MOBILENETV2_SIZES = (96, 128, 160, 192, 224)
# Keras' own facts about its ImageNet files, copied here so that --help and the weights listing need no
# Keras import (seconds of TensorFlow start-up); tests/test_weightfiles.py holds them equal to Keras':
# keras.src.applications.resnet.BASE_WEIGHTS_PATH and WEIGHTS_HASHES["resnet50"][1] (the no-top md5),
# keras.src.applications.mobilenet_v2.BASE_WEIGHT_PATH.
KERAS_RESNET_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
KERAS_RESNET50_NOTOP_MD5 = "4d473c1dd8becc155b73f8504c6f6626"
KERAS_MOBILENETV2_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"


@dataclass(frozen=True)
class WeightFile:
    """One pretrained file: where it comes from, where it goes, and its published hash if any."""

    arch: str  # "mobilenetv2", "resnet50", "resnet18"
    name: str  # the official file name
    url: str
    place: str  # KERAS_CACHE (Keras finds it by name) or WEIGHTS_ARG (give it with --weights PATH)
    hash_algorithm: str | None = None  # "md5", "sha256-prefix", or None: nothing published
    known_hash: str | None = None
    hash_source: str = ""
    input_size: int = 224  # the image size the file is for (MobileNetV2 has one file per size)

    def matches(self, digests: dict[str, str]) -> bool | None:
        """Whether a file with these digests ({"sha256": ..., "md5": ...}) is this one; None: unknown."""
        if self.known_hash is None:
            return None
        if self.hash_algorithm == "sha256-prefix":
            return digests["sha256"].startswith(self.known_hash)
        return digests[self.hash_algorithm or "sha256"] == self.known_hash


def _resnet50_file(input_shape: tuple[int, ...] | None) -> WeightFile:
    name = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    return WeightFile("resnet50", name, KERAS_RESNET_URL + name, KERAS_CACHE, "md5", KERAS_RESNET50_NOTOP_MD5,
                      "keras.applications.resnet.WEIGHTS_HASHES (md5, checked by Keras itself)")


def _mobilenetv2_file(input_shape: tuple[int, ...] | None, alpha: float = 1.0) -> WeightFile:
    rows = 224  # keras.applications.MobileNetV2: other sizes load the 224 weights (with a warning)
    if input_shape is not None and input_shape[0] == input_shape[1] and input_shape[0] in MOBILENETV2_SIZES:
        rows = int(input_shape[0])
    name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}_no_top.h5"
    return WeightFile("mobilenetv2", name, KERAS_MOBILENETV2_URL + name, KERAS_CACHE, None, None,
                      "none published (Keras loads this file without checking it)", rows)


def torchvision_resnet18(input_shape: tuple[int, ...] | None = None) -> WeightFile:
    prefix = TORCH_HASH_REGEX.search(RESNET18_FILE).group(1)  # type: ignore[union-attr]
    return WeightFile("resnet18", RESNET18_FILE, RESNET18_URL, WEIGHTS_ARG, "sha256-prefix", prefix,
                      "torchvision file name (ResNet18_Weights.IMAGENET1K_V1; torch.hub checks it on download)")


@dataclass(frozen=True)
class Backbone:
    """Everything lungxray knows about one pretrained backbone, in one registration: the Keras application that
    builds it (``keras.applications.<application>``; "" where lungxray builds it itself, as torchvision's
    ResNet-18), its ImageNet weight file for an input shape, and the scaling its weights expect (a
    ``keras.applications`` module name, whose ``preprocess_input`` ``ImageConfig.scaling`` may name)."""

    arch: str
    application: str
    weight_file: Callable[[tuple[int, ...] | None], WeightFile]
    scaling: str


#: The pretrained backbones, by ``arch``: a new one is one ``BACKBONES.add`` here (and, for a model that takes an
#: ``arch`` parameter such as ``cnn_classifier``, nothing else).
BACKBONES: Registry[Backbone] = Registry("pretrained backbone")
BACKBONES.add("resnet50", Backbone("resnet50", "ResNet50", _resnet50_file, "resnet50"))
BACKBONES.add("mobilenetv2", Backbone("mobilenetv2", "MobileNetV2", _mobilenetv2_file, "mobilenet_v2"))
BACKBONES.add("resnet18", Backbone("resnet18", "", torchvision_resnet18, "torch_imagenet"))

#: Which backbone each model with a pretrained part loads, from its parameters (a model not listed has none).
PRETRAINED_PART: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "resnet18_classifier": lambda params: "resnet18",
    "mobilenetv2_classifier": lambda params: "mobilenetv2",
    "cnn_classifier": lambda params: params.get("arch", "resnet50"),
    "cnn_lstm_classifier": lambda params: params.get("arch", "resnet50"),
}


def keras_file(arch: str, input_shape: tuple[int, ...] | None = None) -> WeightFile:
    """The no-top ImageNet file Keras loads for ``keras.applications.<arch>(include_top=False)``."""
    if arch not in BACKBONES or not BACKBONES[arch].application:
        raise KeyError(f"no Keras ImageNet file known for {arch!r}")
    return BACKBONES[arch].weight_file(input_shape)


def keras_models_dir() -> Path:
    """Where ``keras.utils.get_file(..., cache_subdir="models")`` keeps files, as it decides it."""
    from keras.src.backend import config

    base = os.path.expanduser(config.keras_home())
    if not os.access(base, os.W_OK):  # get_file's fallback
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return Path(base) / "models"


def weight_files(model: Any, input_shape: tuple[int, ...]) -> list[WeightFile]:
    """The pretrained files a ``ModelConfig`` loads with ``--weights imagenet`` (empty: none)."""
    if not model.uses_pretrained:
        return []
    if model.name not in PRETRAINED_PART:
        raise KeyError(f"model {model.name!r} uses pretrained weights, but lungxray does not know its file "
                       "(add it to lungxray.models.weight_files.PRETRAINED_PART)")
    return [BACKBONES[PRETRAINED_PART[model.name](model.params)].weight_file(input_shape)]


def study_weight_files(study: Any) -> list[tuple[WeightFile, list[str]]]:
    """Each file a study can load, with the experiments (and non-default variants) that load it."""
    defaults = study.resolve_variants({})
    settings = [("", defaults)] + [(f" with --variant {v.name}={c}", {**defaults, v.name: c})
                                  for v in study.variants for c in v.choices if c != v.default]
    out: dict[WeightFile, list[str]] = {}
    for exp in study.experiments:
        for note, choices in settings:
            try:
                cfg = study.resolve(exp, choices)
            except (ValueError, KeyError):  # a combination this experiment does not take
                continue
            shape = (cfg.image.size, cfg.image.size, cfg.image.channels)
            for f in weight_files(cfg.model, shape):
                users = out.setdefault(f, [])
                if note and any(u == exp.name for u in users):
                    continue  # the default already needs it
                if exp.name + note not in users:
                    users.append(exp.name + note)
    return list(out.items())


def digests(path: str | Path) -> dict[str, str]:
    """sha256 and md5 of a file in one read (Keras' table holds md5s)."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
            md5.update(chunk)
    return {"sha256": sha.hexdigest(), "md5": md5.hexdigest()}


def file_record(path: str | Path, expected: WeightFile, how: str) -> dict[str, Any]:
    """What results.json records of one loaded weights file."""
    path = Path(path)
    d = digests(path)
    return {"arch": expected.arch, "how": how, "file": str(path), "size_bytes": path.stat().st_size,
            "sha256": d["sha256"], "md5": d["md5"], "official_name": expected.name, "url": expected.url,
            "known_hash": ({"algorithm": expected.hash_algorithm, "value": expected.known_hash,
                            "source": expected.hash_source} if expected.known_hash else None),
            "matches_known_hash": expected.matches(d)}

if TYPE_CHECKING:
    from lungxray.results.types import Departure


_active: list[dict[str, Any]] | None = None


@contextmanager
def recording() -> Iterator[list[dict[str, Any]]]:
    """Collect a record (``file_record``) of every weights file loaded while the block runs."""
    global _active
    outer, _active = _active, []
    try:
        yield _active
    finally:
        _active = outer


def note_loaded(weights: str | None, expected: WeightFile) -> None:
    """Called by the loaders after ``weights`` ("imagenet" or a path) went into a model."""
    if _active is None or weights is None:
        return
    if weights == "imagenet":
        _active.append(file_record(keras_models_dir() / expected.name, expected, "imagenet (Keras cache)"))
    else:
        _active.append(file_record(weights, expected, "--weights PATH"))


def weights_departure_records(weights: str, files: Sequence[Mapping[str, Any]]) -> list[Departure]:
    """Departures from the paper's ImageNet weights of a run that used ``weights`` (results.json's
    ``provenance.weights``) and loaded ``files`` (``provenance.weights_files``), in the form of
    ``lungxray.judge.faithful``.

    A loaded file whose hash differs from the published one is major (another model); one with no published
    hash to check it against is minor (stated: Keras publishes none for MobileNetV2); a pretrained run that
    recorded no file is major (nothing proves what was loaded). ``weights none`` is not listed here
    (``lungxray.judge.faithful`` lists it as critical).
    """
    from lungxray.results.types import NOT_APPLICABLE, Departure

    if weights in ("none", NOT_APPLICABLE):
        return []
    if not files:
        return [Departure("weights", "major", f"weights {weights}: no record of the file loaded or its hash")]
    out = []
    for f in files:
        known = f.get("known_hash")
        what = f"{f['arch']} weights {f['file']} (sha256 {f['sha256'][:16]}...)"
        if f.get("matches_known_hash") is False:
            out.append(Departure("weights", "major", f"{what} is not the published {f['official_name']}: its "
                                 f"{known['algorithm']} differs from {known['value']} ({known['source']})"))
        elif f.get("matches_known_hash") is None:
            out.append(Departure("weights", "minor", f"{what}: no published hash of {f['official_name']} to prove "
                                 "these are the paper's ImageNet weights"))
    return out


def weights_departures(weights: str, files: Sequence[Mapping[str, Any]]) -> list[str]:
    """The texts of :func:`weights_departure_records`."""
    return [d.text for d in weights_departure_records(weights, files)]


def is_published_file(files: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every weights file a run loaded (``provenance.weights_files``) matches its published hash."""
    return bool(files) and all(f.get("matches_known_hash") is True for f in files)
