"""Accepting an uploaded or imported image: check it, normalise it, store it by content hash.

Pillow decides whether the bytes are really an image of an allowed type; EXIF orientation
is applied and metadata (EXIF, GPS, comments) is dropped by re-encoding. The stored name is
the SHA-256 of the stored bytes, so the same picture is kept once however often it arrives.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from shop.core.errors import InvalidInput

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels; decompression bombs are far beyond
MAX_SIDE = 10_000


@dataclass(frozen=True, slots=True)
class StoredImage:
    file: str  # relative to the media folder
    sha256: str
    width: int
    height: int
    format: str


class ImageRejected(InvalidInput):
    code = "invalid-image"


def store_image(data: bytes, media_dir: Path, *, field: str = "image") -> StoredImage:
    """Validate `data` and write it under `media_dir/products/` by content hash."""
    if not data:
        raise ImageRejected("the file is empty", field=field)
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", field=field)
    image = _open(data, field)
    fmt = image.format or ""
    if fmt not in ALLOWED_FORMATS:
        raise ImageRejected(
            f"{fmt or 'this'} images are not accepted; use JPEG, PNG, WebP or GIF", field=field
        )
    width, height = image.size
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise ImageRejected(
            f"the image is {width}x{height} pixels; the limit is {MAX_SIDE} per side and "
            f"{MAX_PIXELS // 1_000_000} megapixels",
            field=field,
        )
    clean = _normalise(image, fmt)
    digest = hashlib.sha256(clean).hexdigest()
    relative = f"products/{digest[:2]}/{digest}.{ALLOWED_FORMATS[fmt]}"
    target = media_dir / relative
    if not target.exists():
        _write_atomic(target, clean)
    with Image.open(io.BytesIO(clean)) as stored:
        width, height = stored.size
    return StoredImage(file=relative, sha256=digest, width=width, height=height, format=fmt)


def _open(data: bytes, field: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.verify()  # structure check; the image must be reopened after it
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("the file is not an image this shop accepts", field=field) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(f"the image is damaged ({exc})", field=field) from None
    return image


def _normalise(image: Image.Image, fmt: str) -> bytes:
    if fmt == "GIF" and getattr(image, "is_animated", False):
        # Re-encoding an animation frame by frame is not worth it; only metadata is dropped.
        out = io.BytesIO()
        image.save(out, format="GIF", save_all=True)
        return out.getvalue()
    upright = ImageOps.exif_transpose(image)
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    # Saving without exif=/icc_profile=/pnginfo= is what strips the metadata.
    options: dict[str, Any] = {
        "JPEG": {"quality": 92, "optimize": True},
        "WEBP": {"quality": 90},
    }.get(fmt, {})
    upright.save(out, format=fmt, **options)
    return out.getvalue()


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
