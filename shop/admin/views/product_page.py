"""The product page: options, variants and images edited with the product itself.

sqladmin cannot edit related rows inline, so the product form gets three extra fields
(variant rows, image rows, new image files) rendered as tables by their widgets, and
the product view saves the product, its variants and its images in one transaction.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, ClassVar

import anyio
from markupsafe import Markup
from sqladmin._queries import Query
from sqlalchemy.orm import Session, selectinload
from starlette.datastructures import UploadFile
from starlette.requests import Request
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from shop.admin.fields import MoneyField
from shop.core.catalog.editing import VariantInput, save_variants
from shop.core.catalog.html import sanitize_description
from shop.core.catalog.images import ImageRejected, store_image
from shop.core.catalog.models import InventoryPolicy, Product, ProductImage, Variant
from shop.core.db import unit_of_work, utcnow

NEW_VARIANT_ROWS = 2
OPTION_FIELDS = ("option1_name", "option2_name", "option3_name")


class _RowTable:
    """Renders a FieldList of FormFields as one table, a row per entry."""

    def __init__(self, columns: list[tuple[str, str]], preview: str | None = None) -> None:
        self.columns = columns
        self.preview = preview

    def __call__(self, field: FieldList, **kwargs: Any) -> Markup:
        head = Markup("").join(Markup("<th>{}</th>").format(label) for _, label in self.columns)
        rows = []
        for entry in field:
            cells = []
            hidden = Markup("").join(sub() for sub in entry.form if sub.type == "HiddenField")
            for name, _ in self.columns:
                sub = entry.form[name]
                css = "form-check-input" if sub.type == "BooleanField" else "form-control form-control-sm"
                errors = Markup("").join(
                    Markup('<div class="text-danger small">{}</div>').format(e) for e in sub.errors
                )
                wide = (
                    Markup(' style="min-width:{}rem"').format(8 if name in ("sku", "title") else 5)
                    if sub.type in ("StringField", "MoneyField")
                    else ""
                )
                cells.append(Markup("<td{}>{}{}</td>").format(wide, sub(class_=css), errors))
            preview = Markup("")
            if self.preview and entry.form[self.preview].data:
                preview = Markup('<img src="{}" alt="" style="max-height:48px">').format(
                    entry.form[self.preview].data
                )
            rows.append(
                Markup("<tr>{}{}{}</tr>").format(
                    Markup("<td>{}{}</td>").format(hidden, preview), Markup("").join(cells), ""
                )
            )
        return Markup(
            '<div class="table-responsive"><table class="table table-sm" id="{}">'
            "<thead><tr><th></th>{}</tr></thead><tbody>{}</tbody></table></div>"
        ).format(field.id, head, Markup("").join(rows))


def _variant_row_form(currency: str) -> type[Form]:
    class VariantRow(Form):
        id = HiddenField()
        sku = StringField("SKU")
        title = StringField("Title")
        option1 = StringField("Option 1")
        option2 = StringField("Option 2")
        option3 = StringField("Option 3")
        price = MoneyField(f"Price ({currency})", [Optional()], currency=currency)
        compare_at_price = MoneyField(f"Compare at ({currency})", [Optional()], currency=currency)
        weight_grams = IntegerField("Weight (g)", [Optional(), NumberRange(min=0)])
        barcode = StringField("Barcode")
        image = IntegerField("Image", [Optional(), NumberRange(min=1)])
        requires_shipping = BooleanField("Ships", default=True)
        taxable = BooleanField("Taxable", default=True)
        inventory_policy = SelectField(
            "When sold out", choices=[("deny", "stop selling"), ("continue", "keep selling")], default="deny"
        )
        remove = BooleanField("Remove")

        def validate(self, extra_validators: Any = None) -> bool:
            if not super().validate(extra_validators):
                return False
            if _blank_variant(self.data):
                return True
            if not (self.sku.data or "").strip():
                self.sku.errors = ["required"]
                return False
            if self.price.data is None and not self.remove.data:
                self.price.errors = ["required"]
                return False
            return True

    return VariantRow


class ImageRow(Form):
    id = HiddenField()
    url = HiddenField()
    alt = StringField("Alt text")
    position = IntegerField("Position", [Optional(), NumberRange(min=1)])
    remove = BooleanField("Remove")


def _blank_variant(row: dict[str, Any]) -> bool:
    return not row.get("id") and not (row.get("sku") or "").strip() and row.get("price") is None


def _uploads(files: Any) -> list[UploadFile]:
    return [f for f in (files or []) if isinstance(f, UploadFile) and f.filename]


def _validate_images(form: Form, field: MultipleFileField) -> None:
    # Each file goes through the same checks as when it is stored, into a throwaway
    # folder: one bad file rejects the whole save before anything is kept.
    with tempfile.TemporaryDirectory() as scratch:
        for upload in _uploads(field.data):
            upload.file.seek(0)
            data = upload.file.read()
            upload.file.seek(0)
            try:
                store_image(data, Path(scratch), field=field.name)
            except ImageRejected as exc:
                raise ValidationError(f"{upload.filename}: {exc.detail}") from None


class ProductPageMixin:
    """Mixed into the product view (a ShopModelView)."""

    variant_columns: ClassVar[list[tuple[str, str]]] = [
        ("sku", "SKU"),
        ("option1", "Option 1"),
        ("option2", "Option 2"),
        ("option3", "Option 3"),
        ("title", "Title"),
        ("price", "Price"),
        ("compare_at_price", "Compare at"),
        ("weight_grams", "Grams"),
        ("barcode", "Barcode"),
        ("image", "Image #"),
        ("requires_shipping", "Ships"),
        ("taxable", "Tax"),
        ("inventory_policy", "Sold out"),
        ("remove", "Remove"),
    ]
    image_columns: ClassVar[list[tuple[str, str]]] = [
        ("alt", "Alt text"),
        ("position", "Position"),
        ("remove", "Remove"),
    ]

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form = await super().scaffold_form(rules)  # type: ignore[misc]
        for n, name in enumerate(OPTION_FIELDS, start=1):
            setattr(
                form,
                name,
                StringField(
                    f"Option {n} name",
                    [Optional()],
                    description="e.g. Size, Colour",
                    render_kw={"class": "form-control"},
                ),
            )
        row = _variant_row_form(self.currency)  # type: ignore[attr-defined]
        form.variant_rows = FieldList(
            FormField(row),
            "Variants",
            min_entries=NEW_VARIANT_ROWS,
            widget=_RowTable(self.variant_columns),
            description=(
                "Fill an empty row to add a variant; tick Remove to delete one. Image # is the "
                "position of the image (below) that shows the variant; variants may share one."
            ),
        )
        form.image_rows = FieldList(
            FormField(ImageRow), "Images", widget=_RowTable(self.image_columns, "url")
        )
        form.new_images = MultipleFileField(
            "Add images",
            [_validate_images],
            description="JPEG, PNG, WebP or GIF; metadata is removed.",
            render_kw={"class": "form-control", "accept": "image/jpeg,image/png,image/webp,image/gif"},
        )
        return form

    def form_edit_query(self, request: Request) -> Any:
        query = super().form_edit_query(request)  # type: ignore[misc]
        return query.options(
            selectinload(Product.variants).selectinload(Variant.option_values),
            selectinload(Product.options),
            selectinload(Product.images),
        )

    async def get_object_for_edit(self, request: Request) -> Any:
        product = await super().get_object_for_edit(request)  # type: ignore[misc]
        if product is not None:
            # sqladmin's upload handling reads the attribute named like the file field.
            product.new_images = None
        return product

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        data: dict[str, Any] = await super().get_form_data_for_edit(obj)  # type: ignore[misc]
        for option in obj.options:
            data[f"option{option.position}_name"] = option.name
        rows = []
        positions = {image.id: image.position for image in obj.images}
        for variant in obj.variants:
            by_option = {v.option_id: v.value for v in variant.option_values}
            row = {c.name: getattr(variant, c.name) for c in Variant.__table__.columns}
            row["inventory_policy"] = variant.inventory_policy.value
            row["image"] = positions.get(variant.image_id) if variant.image_id else None
            for option in obj.options:
                row[f"option{option.position}"] = by_option.get(option.id, "")
            rows.append(row)
        data["variant_rows"] = [*rows, {}]
        data["image_rows"] = [
            {
                "id": i.id,
                "alt": i.alt,
                "position": i.position,
                "url": f"/admin/media/{i.file}" if i.file else (i.source_url or ""),
            }
            for i in obj.images
        ]
        return data

    async def insert_model(self, request: Request, data: dict) -> Any:
        return await self._save_product(request, None, data)

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        return await self._save_product(request, int(pk), data)

    async def _save_product(self, request: Request, pk: int | None, data: dict) -> Any:
        option_names = [data.pop(name, None) or "" for name in OPTION_FIELDS]
        variant_rows = [r for r in data.pop("variant_rows", []) if not _blank_variant(r)]
        image_rows = data.pop("image_rows", [])
        uploads = _uploads(data.pop("new_images", None))
        files = [(u.filename or "image", u.file.read()) for u in uploads]
        if data.get("description"):
            data["description"] = sanitize_description(data["description"])

        def save() -> Product:
            with unit_of_work(self.shop_admin.sessions) as session:  # type: ignore[attr-defined]
                product = Product() if pk is None else session.get(Product, pk)
                if product is None:
                    raise LookupError(f"product {pk} no longer exists")
                anyio.from_thread.run(self.on_model_change, data, product, pk is None, request)  # type: ignore[attr-defined]
                Query(self)._set_attributes_sync(session, product, data)  # type: ignore[arg-type]
                product.updated_at = utcnow()  # bumps the version even when only variants changed
                if pk is None:
                    session.add(product)
                # Images first: a variant row names an image by its position after this save.
                _save_images(session, product, image_rows, files, self.shop_admin.settings.media_path)  # type: ignore[attr-defined]
                save_variants(
                    session,
                    product,
                    option_names=option_names,
                    rows=[_variant_input(r) for r in variant_rows],
                    field_prefix="variant_rows",
                )
                session.flush()
                return product

        product = await anyio.to_thread.run_sync(save)
        summary = {
            **data,
            "options": [n for n in option_names if n],
            "variants": [r.get("sku") for r in variant_rows if not r.get("remove")],
            "images_added": [name for name, _ in files],
        }
        await self._emit_audit(request, "create" if pk is None else "update", product.id, summary)  # type: ignore[attr-defined]
        return product


def _variant_input(row: dict[str, Any]) -> VariantInput:
    return VariantInput(
        id=int(row["id"]) if row.get("id") else None,
        sku=(row.get("sku") or "").strip(),
        title=row.get("title") or "",
        options=[row.get(f"option{n}") or "" for n in (1, 2, 3)],
        price=row.get("price") or 0,
        compare_at_price=row.get("compare_at_price"),
        weight_grams=row.get("weight_grams") or 0,
        barcode=row.get("barcode") or "",
        requires_shipping=bool(row.get("requires_shipping")),
        taxable=bool(row.get("taxable")),
        inventory_policy=InventoryPolicy(row.get("inventory_policy") or "deny"),
        remove=bool(row.get("remove")),
        image=row.get("image") or None,
    )


def _save_images(
    session: Session,
    product: Product,
    rows: list[dict[str, Any]],
    files: list[tuple[str, bytes]],
    media: Path,
) -> None:
    by_id = {image.id: image for image in product.images}
    for row in rows:
        image = by_id.get(int(row["id"])) if row.get("id") else None
        if image is None:
            continue
        if row.get("remove"):
            product.images.remove(image)
            continue
        image.alt = row.get("alt") or ""
        if row.get("position"):
            image.position = row["position"]
    next_position = max((i.position for i in product.images), default=0) + 1
    for offset, (filename, data) in enumerate(files):
        stored = store_image(data, media, field="new_images")
        product.images.append(
            ProductImage(
                file=stored.file,
                sha256=stored.sha256,
                width=stored.width,
                height=stored.height,
                alt=Path(filename).stem.replace("-", " ").replace("_", " "),
                position=next_position + offset,
            )
        )
