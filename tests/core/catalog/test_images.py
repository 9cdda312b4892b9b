from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from shop.core.catalog import images
from shop.core.catalog.images import ImageRejected, store_image


def jpeg_with_exif(size: tuple[int, int] = (40, 20), orientation: int = 6) -> bytes:
    image = Image.new("RGB", size, (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = orientation  # rotate 90 degrees on display
    exif[0x010F] = "SecretCam"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_stores_upright_without_metadata_by_content_hash(tmp_path: Path) -> None:
    stored = store_image(jpeg_with_exif(), tmp_path)
    assert (stored.width, stored.height) == (20, 40)  # orientation applied
    path = tmp_path / stored.file
    assert path.name.startswith(stored.sha256)
    with Image.open(path) as reopened:
        assert dict(reopened.getexif()) == {}
    assert store_image(jpeg_with_exif(), tmp_path) == stored  # same picture, same file


def test_a_text_file_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ImageRejected, match="not an image"):
        store_image(b"#!/bin/sh\necho hi\n", tmp_path)
    assert not any(tmp_path.rglob("*.*"))


def test_a_disallowed_format_is_refused(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="BMP")
    with pytest.raises(ImageRejected, match="BMP"):
        store_image(out.getvalue(), tmp_path)


def test_too_many_pixels_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 100)
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, format="PNG")
    with pytest.raises(ImageRejected, match="20x20"):
        store_image(out.getvalue(), tmp_path)
    assert not any(tmp_path.rglob("*.png"))
