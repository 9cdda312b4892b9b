"""Variants and images edited on the product page, saved with the product in one transaction."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shop.config import Settings
from shop.core.catalog import images as image_limits
from shop.core.catalog.models import Product, ProductImage, Variant
from shop.core.staff.models import StaffRole
from tests.admin.conftest import AdminClient

BASE = {
    "title": "Linen shirt",
    "slug": "linen-shirt",
    "description": "",
    "status": "draft",
    "vendor": "",
    "product_type": "",
    "tags": "",
    "seo_title": "",
    "seo_description": "",
    "save": "Save and continue editing",
}


def _variant(i: int, **fields: str) -> dict[str, str]:
    row = {
        "sku": "",
        "price": "",
        "requires_shipping": "y",
        "taxable": "y",
        "inventory_policy": "deny",
        **fields,
    }
    return {f"variant_rows-{i}-{k}": v for k, v in row.items()}


def _png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _product(app: FastAPI) -> Product:
    with app.state.sessions() as session:
        return session.scalar(
            select(Product).options(
                selectinload(Product.variants).selectinload(Variant.option_values),
                selectinload(Product.options),
                selectinload(Product.images),
            )
        )


@pytest.fixture
def manager(as_role: Callable[[StaffRole], AdminClient]) -> AdminClient:
    return as_role(StaffRole.MANAGER)


def test_create_with_options_and_variants_then_edit_them(app: FastAPI, manager: AdminClient) -> None:
    form = {
        **BASE,
        "option1_name": "Size",
        **_variant(0, sku="LS-S", option1="S", price="49.90"),
        **_variant(1, sku="LS-M", option1="M", price="49,90", compare_at_price="59.00"),
    }
    created = manager.post("/admin/product/create", form, follow_redirects=False)
    assert created.status_code == 302, created.text[-3000:]
    product = _product(app)
    assert [(v.sku, v.title, v.price, v.compare_at_price) for v in product.variants] == [
        ("LS-S", "S", 4990, None),
        ("LS-M", "M", 4990, 5900),
    ]
    assert [o.name for o in product.options] == ["Size"]

    page = manager.http.get(f"/admin/product/edit/{product.id}")
    assert 'value="LS-M"' in page.text and 'value="49.90"' in page.text
    small, medium = product.variants
    edit = {
        **BASE,
        "option1_name": "Size",
        "expected_version": str(product.version),
        **_variant(0, id=str(small.id), sku="LS-S", option1="S", price="45.00"),
        **_variant(1, id=str(medium.id), sku="LS-M", option1="M", price="49.90", remove="y"),
        **_variant(2, sku="LS-L", option1="L", price="52.00"),
    }
    saved = manager.post(f"/admin/product/edit/{product.id}", edit, follow_redirects=False)
    assert saved.status_code == 302, saved.text[-3000:]
    after = _product(app)
    assert [(v.sku, v.price) for v in after.variants] == [("LS-S", 4500), ("LS-L", 5200)]
    assert after.version > product.version


def test_description_html_is_sanitised_on_save(app: FastAPI, manager: AdminClient) -> None:
    html = '<p onclick="steal()">Soft <b>linen</b></p><script>alert(1)</script>'
    manager.post("/admin/product/create", {**BASE, "description": html, **_variant(0, sku="H-1", price="5")})
    assert _product(app).description == "<p>Soft <b>linen</b></p>"


def test_variant_errors_are_form_errors_and_save_nothing(app: FastAPI, manager: AdminClient) -> None:
    bad_price = manager.post("/admin/product/create", {**BASE, **_variant(0, sku="X-1", price="12.345")})
    assert bad_price.status_code == 400 and "enter an amount in EUR" in bad_price.text
    twice = manager.post(
        "/admin/product/create",
        {**BASE, **_variant(0, sku="X-1", price="1"), **_variant(1, sku="X-1", price="2")},
    )
    assert twice.status_code == 400 and "SKU X-1 is given twice" in twice.text
    no_option = manager.post(
        "/admin/product/create", {**BASE, "option1_name": "Colour", **_variant(0, sku="X-1", price="1")}
    )
    assert no_option.status_code == 400 and "choose a value for Colour" in no_option.text
    assert _product(app) is None


def test_an_edit_made_meanwhile_is_not_overwritten(app: FastAPI, manager: AdminClient) -> None:
    manager.post("/admin/product/create", {**BASE, **_variant(0, sku="V-1", price="10")})
    product = _product(app)
    stale = {
        **BASE,
        "title": "Mine",
        "expected_version": str(product.version - 1 if product.version > 1 else 99),
        **_variant(0, id=str(product.variants[0].id), sku="V-1", price="10"),
    }
    response = manager.post(f"/admin/product/edit/{product.id}", stale)
    assert response.status_code == 400 and "changed by someone else" in response.text
    assert _product(app).title == "Linen shirt"


def test_image_upload_is_validated_and_stored_by_hash(
    app: FastAPI, settings: Settings, manager: AdminClient
) -> None:
    form = {**BASE, **_variant(0, sku="IMG-1", price="10")}
    files = [("new_images", ("front-view.png", _png(), "image/png"))]
    created = manager.post("/admin/product/create", form, files=files, follow_redirects=False)
    assert created.status_code == 302, created.text[-3000:]
    (image,) = _product(app).images
    assert (image.width, image.height, image.alt) == (40, 30, "front view")
    assert (settings.media_path / image.file).is_file()
    thumbnail = manager.http.get(f"/admin/media/{image.file}")
    assert thumbnail.status_code == 200 and thumbnail.content.startswith(b"\x89PNG")


def _media_files(settings: Settings) -> list[Path]:
    return sorted(p for p in settings.media_path.rglob("*") if p.is_file())


def test_a_non_image_file_is_a_form_error_and_nothing_is_stored(
    app: FastAPI, settings: Settings, manager: AdminClient
) -> None:
    form = {**BASE, **_variant(0, sku="IMG-2", price="10")}
    files = [
        ("new_images", ("ok.png", _png(), "image/png")),
        ("new_images", ("invoice.png", b"%PDF-1.4 not a picture at all", "image/png")),
    ]
    response = manager.post("/admin/product/create", form, files=files)
    assert response.status_code == 400
    assert "invoice.png: the file is not an image this shop accepts" in response.text
    assert _product(app) is None
    assert _media_files(settings) == []


def test_an_oversized_image_is_refused(
    app: FastAPI, settings: Settings, manager: AdminClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_limits, "MAX_PIXELS", 1000)
    form = {**BASE, **_variant(0, sku="IMG-3", price="10")}
    response = manager.post(
        "/admin/product/create", form, files=[("new_images", ("big.png", _png((50, 50)), "image/png"))]
    )
    assert response.status_code == 400 and "big.png: the image is 50x50 pixels" in response.text
    monkeypatch.setattr(image_limits, "MAX_BYTES", 10)
    too_heavy = manager.post(
        "/admin/product/create", form, files=[("new_images", ("heavy.png", _png((5, 5)), "image/png"))]
    )
    assert too_heavy.status_code == 400 and "heavy.png: the file is larger than" in too_heavy.text
    assert _product(app) is None and _media_files(settings) == []


def test_images_can_be_described_and_removed(app: FastAPI, manager: AdminClient) -> None:
    manager.post(
        "/admin/product/create",
        {**BASE, **_variant(0, sku="IMG-4", price="10")},
        files=[
            ("new_images", ("a.png", _png((10, 10)), "image/png")),
            ("new_images", ("b.png", _png((12, 10)), "image/png")),
        ],
    )
    product = _product(app)
    first, second = product.images
    edit = {
        **BASE,
        "expected_version": str(product.version),
        **_variant(0, id=str(product.variants[0].id), sku="IMG-4", price="10"),
        "image_rows-0-id": str(first.id),
        "image_rows-0-alt": "Front",
        "image_rows-0-position": "2",
        "image_rows-1-id": str(second.id),
        "image_rows-1-alt": "",
        "image_rows-1-remove": "y",
    }
    assert manager.post(f"/admin/product/edit/{product.id}", edit, follow_redirects=False).status_code == 302
    with app.state.sessions() as session:
        assert [(i.alt, i.position) for i in session.scalars(select(ProductImage))] == [("Front", 2)]


def test_variants_name_their_image_and_may_share_it(app: FastAPI, manager: AdminClient) -> None:
    created = manager.post(
        "/admin/product/create",
        {
            **BASE,
            "option1_name": "Size",
            **_variant(0, sku="SH-S", option1="S", price="10", image="2"),
            **_variant(1, sku="SH-M", option1="M", price="10", image="2"),
            **_variant(2, sku="SH-L", option1="L", price="10"),
        },
        files=[
            ("new_images", ("red.png", _png((10, 10)), "image/png")),
            ("new_images", ("blue.png", _png((12, 10)), "image/png")),
        ],
        follow_redirects=False,
    )
    assert created.status_code == 302, created.text[-3000:]
    product = _product(app)
    _red, blue = sorted(product.images, key=lambda i: i.position)
    assert [v.image_id for v in product.variants] == [blue.id, blue.id, None]
    page = manager.http.get(f"/admin/product/edit/{product.id}").text
    shown = [re.search(rf'<input[^>]*name="variant_rows-{i}-image"[^>]*>', page) for i in range(3)]
    assert [re.search(r'value="(\d*)"', m.group(0)).group(1) if m else None for m in shown] == ["2", "2", ""]  # type: ignore[union-attr]

    small, medium, large = product.variants
    missing = manager.post(
        f"/admin/product/edit/{product.id}",
        {
            **BASE,
            "option1_name": "Size",
            "expected_version": str(product.version),
            **_variant(0, id=str(small.id), sku="SH-S", option1="S", price="10", image="1"),
            **_variant(1, id=str(medium.id), sku="SH-M", option1="M", price="10", image="7"),
            **_variant(2, id=str(large.id), sku="SH-L", option1="L", price="10"),
        },
    )
    assert missing.status_code == 400 and "the product has no image at position 7" in missing.text
    assert [v.image_id for v in _product(app).variants] == [blue.id, blue.id, None]  # nothing saved
