"""Decode once, ever: a persistent, content-addressed cache of decoded, resized images.

An entry is the uint8 image that ``lungxray.data.pipeline.decode_resize`` (then the
segmentation, if any) makes of a file, keyed by the file's sha256 and the image settings
(size, colour, resize method, segmentation) and the TensorFlow version that decoded it. Every
run, seed, variant and study that reads the same bytes with the same settings shares it
(uly2023 and covid_balancing read the same database). Entries are raw ``size x size x
channels`` bytes (one channel where an RGB image is grey, R = G = B, as X-rays are: a third of
the disk and of the reading) under ``$LUNGXRAY_CACHE`` (default ``~/.cache/lungxray``)::

    <root>/images/<settings digest>/<sha256[:2]>/<sha256>.u8

followed by the sha256 of those bytes (32 bytes): every read checks it, so a flipped bit, a rewrite or a
truncation is caught, logged, and the image decoded again from its file (the check costs a few percent
of a decode: ``python -m lungxray bench --cache-check``, ``docs/performance.md``). Entries are written
atomically (``lungxray.results.files.atomic_write_bytes``), so concurrent runs never read half an
entry; ``lungxray cache`` shows the size and ``lungxray cache --clear`` empties it (under the
cache's lock file, which the index writers take; do not clear it while a run is filling it). A cached image is bit-identical to a fresh decode
(``tests/test_cache.py``).

``screen_decode`` is the one pass over the files before a run: read each file once, hash it,
and, unless the cache holds it, check its header, decode, resize and store it. Unreadable files
are reported exactly as ``lungxray.data.verify.screen`` reports them.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lungxray._util import env
from lungxray._util.paths import UnwritableFolderError, writable_folder
from lungxray.data.layouts import leaves_root
from lungxray.errors import DataError, DiskFullError, LungxrayError
from lungxray.results.files import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from lungxray.data.layouts import Record
    from lungxray.spec.config import ImageConfig

log = logging.getLogger("lungxray")

CACHE_ENV = env.CACHE
RAM_ENV = env.RAM_BUDGET  # bytes of decoded images a run may hold in memory (suffix K, M, G allowed)
RAM_FRACTION = 0.5  # default budget: this share of the memory available when a pipeline is built
FORMAT = 2  # bump when the entry format or the decoding changes (2: a sha256 after the pixels)
DIGEST = 32  # bytes of the sha256 that ends every entry
WAY_OUT = f"set {CACHE_ENV} to a writable folder with room (it is only a cache), or free some space"


def cache_root() -> Path:
    return env.folder(CACHE_ENV) or Path.home() / ".cache" / "lungxray"


def settings_digest(image: ImageConfig) -> str:
    import tensorflow as tf

    text = f"{FORMAT}|tf {tf.__version__}|{image.size}|{image.color}|{image.resize_method}|{image.segmentation}"
    if image.segmentation != "none":  # a segmented entry depends on OpenCV and on lungxray.data.segment's code
        text += f"|{_segment_fingerprint()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _segment_fingerprint() -> str:
    """OpenCV's version and the source of lungxray.data.segment: a change to either makes new entries."""
    import inspect

    import cv2

    from lungxray.data import segment

    return f"cv2 {cv2.__version__}|" + hashlib.sha256(inspect.getsource(segment).encode()).hexdigest()


def ram_budget() -> int:
    """Bytes of decoded images a pipeline may keep in memory: $LUNGXRAY_RAM_BUDGET, else a share of the
    memory available now (psutil)."""
    budget = env.size_in_bytes(RAM_ENV)
    if budget is not None:
        return budget
    import psutil

    return int(psutil.virtual_memory().available * RAM_FRACTION)


class DecodeCache:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else cache_root()

    @property
    def lock_path(self) -> Path:
        return self.root / ".lock"

    def _lock(self):
        from filelock import FileLock

        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(self.lock_path)

    def path(self, sha: str, image: ImageConfig) -> Path:
        return self.root / "images" / settings_digest(image) / sha[:2] / f"{sha}.u8"

    def shape(self, image: ImageConfig) -> tuple[int, int, int]:
        return image.size, image.size, image.channels

    def entry_channels(self, sha: str, image: ImageConfig) -> int | None:
        """Channels stored for this entry (1 for a grey RGB image), None when it is not cached (by its size; the
        checksum is checked when it is read)."""
        h, w, c = self.shape(image)
        try:
            size = self.path(sha, image).stat().st_size - DIGEST
        except OSError:
            return None
        return 1 if size == h * w else c if size == h * w * c else None

    def has(self, sha: str, image: ImageConfig) -> bool:
        return self.entry_channels(sha, image) is not None

    def read_checked(self, sha: str, image: ImageConfig) -> tuple[np.ndarray | None, str | None]:
        """The entry as (H, W, stored channels) if its checksum holds, else (None, what is wrong with it)."""
        h, w, c = self.shape(image)
        try:
            with open(self.path(sha, image), "rb") as fh:
                data = fh.read()
        except OSError as exc:
            return None, f"cannot be read ({exc.strerror})"
        pixels, digest = data[:-DIGEST], data[-DIGEST:]
        if len(pixels) not in (h * w, h * w * c):
            return None, f"has {len(data)} bytes, not an entry of {h} x {w} pixels"
        if hashlib.sha256(pixels).digest() != digest:
            return None, "does not match its checksum (damaged or changed on disk)"
        return np.frombuffer(pixels, np.uint8).reshape(h, w, -1), None

    def load(self, sha: str, image: ImageConfig, source: Path | None = None) -> np.ndarray:
        """The verified entry (H, W, stored channels). A missing or damaged one is logged and decoded again from
        ``source`` (whose content must still hash to ``sha``); without a source it is a DataError."""
        arr, why = self.read_checked(sha, image)
        if arr is not None:
            return arr
        where = f"; decoding {source} again" if source is not None else ""
        log.warning("decode cache entry %s %s%s", self.path(sha, image), why, where)
        if source is None:
            raise DataError(f"decode cache entry {self.path(sha, image)} {why}, and the file it was decoded from "
                            f"is not known here: clear the cache (`python -m lungxray cache --clear`) and run again.")
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise DataError(f"{source}: cannot read it again to replace a damaged cache entry ({exc.strerror})") \
                from None
        if hashlib.sha256(data).hexdigest() != sha:
            raise DataError(f"{source} changed while this run used it (its sha256 is no longer the one it was "
                            "screened with): leave the dataset alone during a run, and run again.")
        fresh, err = decode(data, image)
        if fresh is None:
            raise DataError(f"{source}: {err}")
        return self.put(sha, image, fresh)

    def get(self, sha: str, image: ImageConfig, source: Path | None = None) -> np.ndarray:
        """The verified entry with every channel (a grey entry widened)."""
        h, w, c = self.shape(image)
        return np.ascontiguousarray(np.broadcast_to(self.load(sha, image, source), (h, w, c)))

    def read_into(self, sha: str, image: ImageConfig, out: np.ndarray, source: Path | None = None) -> None:
        """Read the verified entry into ``out`` (H, W, 1 or C); a grey entry fills every channel."""
        arr = self.load(sha, image, source)
        out[...] = arr if arr.shape[-1] == out.shape[-1] else arr[..., :1]

    def put(self, sha: str, image: ImageConfig, arr: np.ndarray) -> np.ndarray:
        """Store ``arr`` (H, W, C) with its checksum; returns what was stored (one channel for a grey image)."""
        arr = np.ascontiguousarray(arr, dtype=np.uint8)
        if arr.shape != self.shape(image):
            raise ValueError(f"cache entry of shape {arr.shape}, expected {self.shape(image)}")
        if arr.shape[-1] == 3 and np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 0], arr[..., 2]):
            arr = np.ascontiguousarray(arr[..., :1])  # grey: one channel on disk
        pixels = arr.tobytes()
        dst = self.path(sha, image)
        try:  # fsynced: after a power loss, never an entry of the right size with the wrong bytes
            atomic_write_bytes(dst, pixels + hashlib.sha256(pixels).digest())
        except OSError as exc:
            raise cache_write_error(exc, dst) from None
        return arr

    def require_room(self, need_bytes: int) -> None:
        """Refuse before any decoding when the cache folder is not a writable folder with ``need_bytes`` free."""
        writable_folder(self.root, f"the decode cache (${CACHE_ENV})", WAY_OUT, need_bytes)

    # --- the stat index: a file's sha256 by (size, mtime_ns, ctime_ns, inode, device), so an unchanged file is
    # neither read nor hashed again (the rule of git's index; a rewrite in place changes ctime even when it restores
    # mtime)

    def index_path(self, root: Path) -> Path:
        key = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:16]
        return self.root / "index" / f"v2-{key}.json"

    def load_index(self, root: Path) -> dict[str, list]:
        try:
            data = json.loads(self.index_path(root).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save_index(self, root: Path, index: dict[str, list]) -> None:
        dst = self.index_path(root)
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock():  # merge with what another run wrote meanwhile
                atomic_write_text(dst, json.dumps({**self.load_index(root), **index}))
        except OSError as exc:
            raise cache_write_error(exc, dst) from None

    def usage(self) -> tuple[int, int]:
        """(entries, bytes) under the root."""
        n = size = 0
        for dirpath, _, files in os.walk(self.root / "images"):
            for f in files:
                if f.endswith(".u8"):
                    n += 1
                    size += os.path.getsize(os.path.join(dirpath, f))
        return n, size

    def clear(self) -> tuple[int, int]:
        """Remove every entry; returns what was removed (entries, bytes)."""
        with self._lock():
            n, size = self.usage()
            shutil.rmtree(self.root / "images", ignore_errors=True)
        return n, size


def cache_write_error(exc: OSError, path: Path) -> LungxrayError:
    """One line for a cache write that failed: the entry, why, and the way out."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        free = shutil.disk_usage(path.parent if path.parent.exists() else path.anchor).free
        return DiskFullError(f"no space left on device writing the decode cache entry {path} ({free >> 20} MB "
                             f"free): {WAY_OUT}")
    return UnwritableFolderError(f"cannot write the decode cache entry {path} ({exc.strerror}): {WAY_OUT}")


# --- decoding -----------------------------------------------------------------------------------

_fns: dict = {}
_fns_lock = threading.Lock()


def _finish_fn(image: ImageConfig):
    """decoded float image -> the cached uint8 image, as one traced function per settings (the same ops
    as the tf.data map of lungxray.data.pipeline, so the bytes are the same)."""
    import tensorflow as tf

    with _fns_lock:
        if image not in _fns:
            from lungxray.data.images import resize_uint8, segmented

            @tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.float32)])
            def finish(img):
                return segmented(resize_uint8(img, image), image)

            _fns[image] = finish
        return _fns[image]


def decode(data: bytes, image: ImageConfig) -> tuple[np.ndarray | None, str | None]:
    """Encoded bytes -> (the cached uint8 image, None), or (None, why it cannot be decoded)."""
    import tensorflow as tf

    from lungxray.data.sniff import header_problem, plain_tf_message, what_is

    if not data:
        return None, "empty file (0 bytes)"
    why = header_problem(data)
    if why:
        return None, why
    try:  # as lungxray.data.verify.decode_error and the pipeline decode
        img = tf.io.decode_image(data, channels=3, dtype=tf.float32, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as exc:
        head = what_is(data)
        return None, "cannot decode: " + (head if head.startswith(("truncated", "damaged")) else
                                          plain_tf_message(exc.message))
    if img.shape[0] == 0 or img.shape[1] == 0:
        return None, "decodes to an empty image"
    with tf.device("/CPU:0"):  # the same device on every machine (a GPU resize may differ by one level)
        return _finish_fn(image)(img).numpy(), None


def progress_enabled(quiet: bool = False) -> bool | None:
    """tqdm's ``disable``: off when quiet or in CI, else tqdm decides (None: off when stderr is not a TTY)."""
    if quiet or env.ci():
        return True
    return None if sys.stderr.isatty() else True


def screen_decode(root: Path, records: Sequence[Record], image: ImageConfig | None, cache: DecodeCache | None = None,
                  workers: int = 4, quiet: bool = False, desc: str = "screening and decoding",
                  ) -> tuple[list[Record], list[dict], dict[str, str]]:
    """One pass over ``records``: read, hash, and (unless cached, or ``image`` is None) decode and cache.

    Returns the readable records, the skipped ones as {file, reason} and each readable file's sha256,
    as ``lungxray.data.verify.screen`` does.
    """
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    cache = cache or DecodeCache()
    index = cache.load_index(root) if image is not None else {}
    seen: dict[str, list] = {}
    if image is not None:  # room for every file the index does not know cached, before any decoding
        unknown = sum(1 for r in records if not (index.get(r.path) and cache.has(index[r.path][5], image)))
        if unknown:
            h, w, c = cache.shape(image)
            try:
                cache.require_room(unknown * (h * w * c + DIGEST))
            except UnwritableFolderError as exc:  # a read-only cache filled elsewhere may hold them all: a file
                log.info("%s; using the entries it holds (a missing one is an error)", exc)  # it lacks fails in put

    real_root = Path(root).resolve()

    def one(r: Record) -> tuple[str | None, str | None]:
        return _screen_one(Path(root), real_root, r, image, cache, index, seen)

    pool = ThreadPoolExecutor(workers)
    try:
        outcomes = list(tqdm(pool.map(one, records), total=len(records), desc=desc, unit="img",
                             disable=progress_enabled(quiet), leave=False))
    finally:  # on Ctrl-C, drop the queued files instead of decoding them all first
        pool.shutdown(wait=True, cancel_futures=True)
    if seen:
        try:
            cache.save_index(root, seen)
        except LungxrayError as exc:  # the index only saves hashing next time
            log.warning("%s; the next run hashes these files again", exc)
    from lungxray.data.verify import partition

    return partition(list(records), outcomes)


def _screen_one(root: Path, real_root: Path, r: Record, image: ImageConfig | None, cache: DecodeCache,
                index: dict[str, list], seen: dict[str, list]) -> tuple[str | None, str | None]:
    """One file: (why it is unreadable, None) or (None, its sha256), decoded into the cache on the way; a file
    the stat index knows unchanged, whose entry is cached, is neither read nor hashed. A file that resolves
    outside the dataset root is never read."""
    path = root / r.path
    outside = leaves_root(real_root, path)
    if outside:
        return outside, None
    try:
        st = path.stat()
    except OSError as exc:
        return f"cannot read ({exc.strerror})", None
    stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]  # a rewrite changes ctime at least
    known = index.get(r.path)
    if image is not None and known and known[:5] == stamp and cache.has(known[5], image):
        return None, known[5]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot read ({exc.strerror})", None
    sha = hashlib.sha256(data).hexdigest()
    if image is None:
        from lungxray.data.verify import decode_error

        err = decode_error(path)
        return err, (None if err else sha)
    if not cache.has(sha, image):
        arr, err = decode(data, image)
        if err:
            return err, None
        cache.put(sha, image, arr)
    seen[r.path] = [*stamp, sha]
    return None, sha


# --- the decoded images of one pipeline -----------------------------------------------------------

class DecodedStore:
    """The distinct decoded images of a pipeline's records, one row each; records refer to rows, so
    repeated records (oversampling, duplicates) repeat a row index and never copy an image.

    In memory when the images fit ``ram_budget()``, else streamed from the cache's files each epoch.
    Grey images stored as RGB (all three channels equal, the X-ray datasets) are kept as one channel
    (``grey``) and widened after augmentation, which gives the same bytes at a third of the memory
    and augmentation cost.
    """

    def __init__(self, shas: Sequence[str], image: ImageConfig, cache: DecodeCache, budget: int | None = None,
                 quiet: bool = True, sources: Mapping[str, Path] | None = None):
        from tqdm import tqdm

        self.image, self.cache = image, cache
        self.sources = dict(sources or {})  # sha256 -> a file with that content: a damaged entry is decoded again
        self.shas = list(dict.fromkeys(shas))
        self.row = {s: i for i, s in enumerate(self.shas)}
        h, w, c = cache.shape(image)
        self.nbytes = len(self.shas) * h * w * c
        self.budget = ram_budget() if budget is None else budget
        self.in_memory = self.nbytes <= self.budget
        self.grey = False
        self.array: np.ndarray | None = None
        if self.in_memory:
            from concurrent.futures import ThreadPoolExecutor

            self.grey = c == 3 and bool(self.shas) and all(cache.entry_channels(s, image) == 1 for s in self.shas)
            arr = np.empty((len(self.shas), h, w, 1 if self.grey else c), np.uint8)
            with ThreadPoolExecutor(4) as pool:  # file reads release the GIL
                list(tqdm(pool.map(lambda i: cache.read_into(self.shas[i], image, arr[i], self.sources.get(self.shas[i])),
                                   range(len(self.shas))),
                          total=len(self.shas), desc="loading decoded images", unit="img",
                          disable=progress_enabled(quiet), leave=False))
            self.array = arr

    @property
    def channels(self) -> int:
        return 1 if self.grey else self.image.channels

    def rows(self, shas: Sequence[str]) -> np.ndarray:
        return np.array([self.row[s] for s in shas], dtype=np.int64)

    def batch_images(self, rows):
        """tf, in memory: a vector of row indices -> their uint8 images (n, H, W, channels)."""
        import tensorflow as tf

        arr = self.array
        out = tf.numpy_function(lambda i: arr[i], [rows], tf.uint8, stateful=False)
        out.set_shape([None, self.image.size, self.image.size, self.channels])
        return out

    def load_row(self, row: int) -> np.ndarray:
        """One row's image (H, W, channels), read from the cache's file and checked against its checksum."""
        sha = self.shas[int(row)]
        return self.cache.get(sha, self.image, self.sources.get(sha))

    def read_image(self, row):
        """tf, streamed: one row index -> its uint8 image, read from the cache's file and verified (``load_row``)."""
        import tensorflow as tf

        out = tf.numpy_function(self.load_row, [row], tf.uint8, stateful=False)
        out.set_shape([self.image.size, self.image.size, self.channels])
        return out
