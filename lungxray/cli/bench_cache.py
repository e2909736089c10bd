"""``lungxray bench --cache-check``: what checking a decode-cache entry on every read costs, against decoding.

Each entry ends in the sha256 of its pixels (``lungxray.data.cache``), recomputed whenever the entry is read.
This times, per image, decoding and resizing the file (what a cache miss costs), reading the entry and
checking it (what every read costs now) and reading it without the check, and prints the ratios.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from pathlib import Path

from lungxray.data.cache import DecodeCache, decode
from lungxray.data.synthetic import make_dataset
from lungxray.spec.config import ImageConfig

SHARED_COVID = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "covid19-radiography"


def _files(data_dir: str | None, n: int, work: Path) -> tuple[list[Path], str]:
    folder = Path(data_dir) if data_dir else SHARED_COVID
    found = sorted(folder.rglob("*.png"))[:n] if folder.is_dir() else []
    if found:
        return found, str(folder)
    root = make_dataset("covid19-radiography", work / "gen", max(1, n // 4), size=299)
    return sorted(root.rglob("*.png"))[:n], "generated 299 px PNGs"


def _per_image(fn, items) -> float:
    t0 = time.perf_counter()
    for it in items:
        fn(it)
    return (time.perf_counter() - t0) / max(1, len(items))


def measure(data_dir: str | None = None, n: int = 200, size: int = 224) -> dict:
    image = ImageConfig(size, "rgb")
    with tempfile.TemporaryDirectory(prefix="lungxray-bench-") as tmp:
        files, source = _files(data_dir, n, Path(tmp))
        cache = DecodeCache(Path(tmp) / "cache")
        blobs = [f.read_bytes() for f in files]
        shas = [hashlib.sha256(b).hexdigest() for b in blobs]
        decode(blobs[0], image)  # trace once, outside the timing
        t_decode = _per_image(lambda b: decode(b, image), blobs)
        for sha, blob in zip(shas, blobs, strict=True):
            cache.put(sha, image, decode(blob, image)[0])
        t_plain = _per_image(lambda s: cache.path(s, image).read_bytes(), shas)
        t_checked = _per_image(lambda s: cache.read_checked(s, image), shas)
    return {"source": source, "images": len(files), "size": size, "decode_ms": 1e3 * t_decode,
            "read_ms": 1e3 * t_plain, "read_checked_ms": 1e3 * t_checked,
            "check_over_decode": (t_checked - t_plain) / t_decode, "checked_read_over_decode": t_checked / t_decode}


def main(data_dir: str | None, n: int, as_json: bool) -> int:
    r = measure(data_dir, n)
    if as_json:
        print(json.dumps(r))
        return 0
    print(f"decode-cache check, {r['images']} images ({r['source']}) at {r['size']} px, per image:\n"
          f"  decode + resize (a miss)          {r['decode_ms']:.3f} ms\n"
          f"  read the entry, unchecked         {r['read_ms']:.3f} ms\n"
          f"  read the entry, sha256 checked    {r['read_checked_ms']:.3f} ms\n"
          f"  the check / decoding              {r['check_over_decode']:.3f}\n"
          f"  a checked read / decoding         {r['checked_read_over_decode']:.3f}")
    return 0
