"""What a file really is, in plain words, before TensorFlow sees it.

- ``header_problem``: reads only the image header (Pillow's lazy ``Image.open``) and refuses
  formats the pipeline cannot decode, images above a pixel limit (decompression bombs: a PNG that
  claims 20,000 x 20,000 pixels is refused without being decoded) and images too small to be scans.
- ``what_is``: what the first bytes say a file is (HTML page, empty, truncated PNG, a PDF, ...),
  used instead of TensorFlow's internal error text.
- ``junk_reason``: folders and files that downloads and tools leave behind (``__MACOSX/``,
  ``._*``, ``.ipynb_checkpoints/``).
"""

from __future__ import annotations

import io
import re
import warnings

from lungxray._util import env

DEFAULT_MAX_PIXELS = 50_000_000  # 50 megapixels: far above any chest X-ray or CT slice
MAX_PIXELS_ENV = env.MAX_PIXELS
MIN_SIDE = 8  # smaller images are placeholders (tracking pixels, icons), not scans
DECODABLE = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF", "BMP": "BMP"}  # what tf.io.decode_image reads here

JUNK_DIRS = {
    "__MACOSX": "macOS zip metadata folder",
    ".ipynb_checkpoints": "Jupyter checkpoint folder",
    "__pycache__": "Python cache folder",
    ".git": "git folder",
    "$RECYCLE.BIN": "Windows recycle bin",
    "System Volume Information": "Windows system folder",
    ".Trash": "trash folder",
    ".Trashes": "trash folder",
}


def junk_reason(name: str, is_dir: bool) -> str | None:
    """Why a folder or file left by a download or a tool is ignored, or None if it is not such."""
    if is_dir and name in JUNK_DIRS:
        return f"{JUNK_DIRS[name]}, ignored"
    if not is_dir and name.startswith("._"):
        return "macOS resource-fork file (._*), not an image"
    return None


def max_pixels() -> int:
    """The pixel limit: ``$LUNGXRAY_MAX_PIXELS`` or 50 million."""
    return env.count(MAX_PIXELS_ENV) or DEFAULT_MAX_PIXELS


_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"RIFF", "a RIFF file (WebP image, WAV or AVI)"),
    (b"\x89HDF", "an HDF5 file"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"version https://git-lfs", "a Git LFS pointer (the image itself was never downloaded)"),
)


def what_is(data: bytes) -> str:
    """What the first bytes say this file is, in plain words."""
    if not data:
        return "empty file (0 bytes)"
    head = data[:512].lstrip()
    low = head.lower()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if b"IEND" not in data[-64:]:
            return f"truncated PNG ({len(data)} bytes, no end marker: the download or copy stopped early)"
        return "damaged PNG (its data does not decode)"
    if data.startswith(b"\xff\xd8"):
        if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
            return f"truncated JPEG ({len(data)} bytes, no end marker: the download or copy stopped early)"
        return "damaged JPEG (its data does not decode)"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "damaged GIF"
    if data.startswith(b"BM"):
        return "damaged or unusual BMP"
    if len(data) > 132 and data[128:132] == b"DICM":
        return "a DICOM file (convert it to PNG first)"
    for sig, name in _SIGNATURES:
        if data.startswith(sig):
            return name
    if low.startswith((b"<!doctype html", b"<html")) or b"<html" in low[:200]:
        return "an HTML page, not an image (a login or error page saved in place of the download?)"
    if low.startswith(b"<?xml") or low.startswith(b"<svg"):
        return "an XML/SVG text file, not a raster image"
    if low.startswith((b"{", b"[")):
        return "a JSON text file, not an image"
    sample = data[:512]
    if all(32 <= b < 127 or b in b"\t\r\n" for b in sample):
        text = sample[:40].decode("ascii").strip().splitlines()[0] if sample.strip() else ""
        return f"a text file, not an image (starts {text!r})"
    return f"not a known image format (first bytes {data[:8].hex(' ')})"


def header_problem(data: bytes, limit: int | None = None) -> str | None:
    """Why this image must be skipped, read from its header alone, or None."""
    from PIL import Image, UnidentifiedImageError

    limit = max_pixels() if limit is None else limit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            fmt, (w, h), mode = im.format, im.size, im.mode
    except Image.DecompressionBombError as exc:
        m = re.search(r"\((\d+) pixels\)", str(exc))
        n = f"{int(m.group(1)):,} pixels" if m else "too many pixels"
        return f"image claims {n}, above the limit of {limit:,} (not decoded; ${MAX_PIXELS_ENV} raises it)"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return "not an image: " + what_is(data)
    if fmt not in DECODABLE:
        return f"{fmt} image ({mode}, {w} x {h}): the pipeline reads PNG, JPEG, BMP and GIF; convert it"
    if w * h > limit:
        return (f"image claims {w:,} x {h:,} = {w * h:,} pixels, above the limit of {limit:,} "
                f"(not decoded; ${MAX_PIXELS_ENV} raises it)")
    if min(w, h) < MIN_SIDE:
        return f"image is only {w} x {h} pixels (a placeholder, not a scan)"
    return None


_TF_NOISE = re.compile(r"\{\{function_node[^}]*\}\}\s*|\s*\[Op:\w+\]")


def plain_tf_message(message: str) -> str:
    """TensorFlow's error text without its graph-node prefix and op suffix."""
    first = (message or "").strip().splitlines()[0] if (message or "").strip() else "invalid image data"
    return _TF_NOISE.sub("", first).strip() or "invalid image data"
