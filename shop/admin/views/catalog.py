"""Products, variants, categories and collections."""

from __future__ import annotations

from typing import Any

from sqladmin import action
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.requests import Request
from starlette.responses import Response
from wtforms import Form, SelectField
from wtforms.validators import InputRequired

from shop.admin.actions import run_action, run_status_action
from shop.admin.audit import record_action
from shop.admin.base import ShopModelView
from shop.admin.views.filters import enum_filter
from shop.admin.views.product_page import ProductPageMixin
from shop.admin.views.stock_forms import AdjustForm, run_stock_change, stock_form
from shop.core.catalog import collections as collection_service
from shop.core.catalog.models import (
    Category,
    Collection,
    CollectionProduct,
    Product,
    ProductStatus,
    Variant,
)
from shop.core.catalog.publishing import set_status

CATALOG = "Catalog"
TIMESTAMPS = ["created_at", "updated_at", "version"]


class ProductAdmin(ProductPageMixin, ShopModelView, model=Product):
    category = CATALOG
    icon = "fa-solid fa-shirt"
    column_list = [
        Product.id,
        Product.title,
        Product.status,
        Product.vendor,
        Product.product_type,
        Product.updated_at,
    ]
    column_searchable_list = [Product.title, Product.vendor]
    column_sortable_list = [Product.id, Product.title, Product.status, Product.vendor, Product.updated_at]
    column_default_sort = [(Product.id, True)]
    column_filters = [enum_filter(Product.status, ProductStatus)]
    column_details_exclude_list = ["options", "images"]
    form_excluded_columns = [*TIMESTAMPS, "variants", "images", "options", "published_at"]
    form_args = {"description": {"description": "HTML; scripts, styles and images are removed on save."}}

    async def _change_status(self, request: Request, status: ProductStatus, title: str) -> Response:
        return await run_status_action(
            self,
            request,
            title=title,
            status=status.value,
            describe=_product_titles,
            change=lambda session, pks: set_status(session, pks, status),
        )

    @action("publish", "Publish")
    async def publish(self, request: Request) -> Response:
        return await self._change_status(request, ProductStatus.ACTIVE, "Publish products")

    @action("unpublish", "Unpublish (back to draft)")
    async def unpublish(self, request: Request) -> Response:
        return await self._change_status(request, ProductStatus.DRAFT, "Unpublish products")

    @action("archive", "Archive")
    async def archive(self, request: Request) -> Response:
        return await self._change_status(request, ProductStatus.ARCHIVED, "Archive products")

    async def _collection_action(self, request: Request, add: bool) -> Response:
        def factory(session: Session, _pks: list[int], posted: Any) -> Form:
            form = CollectionForm(posted)
            form.collection_id.choices = [
                (str(i), t)
                for i, t in session.execute(
                    select(Collection.id, Collection.title).order_by(Collection.title)
                )
            ]
            return form

        def run(session: Session, pks: list[int], data: dict[str, Any]) -> str:
            collection_id = int(data["collection_id"])
            change = (
                collection_service.add_to_collection if add else collection_service.remove_from_collection
            )
            count = change(session, collection_id, pks)
            record_action(
                session,
                request,
                action="collection_add" if add else "collection_remove",
                object_type="collection",
                object_id=collection_id,
                changes={"products": pks},
            )
            return f"{count} product(s) {'added to' if add else 'removed from'} the collection."

        title = "Add to a collection" if add else "Remove from a collection"
        return await run_action(
            self, request, title=title, run=run, form_factory=factory, describe=_product_titles
        )

    @action("add-to-collection", "Add to a collection")
    async def add_to_collection(self, request: Request) -> Response:
        return await self._collection_action(request, add=True)

    @action("remove-from-collection", "Remove from a collection")
    async def remove_from_collection(self, request: Request) -> Response:
        return await self._collection_action(request, add=False)


class CollectionForm(Form):
    collection_id = SelectField("Collection", [InputRequired()])


def _product_titles(session: Session, pks: list[int]) -> list[str]:
    return [
        f"{t} (#{i})"
        for i, t in session.execute(select(Product.id, Product.title).where(Product.id.in_(pks)))
    ]


class VariantAdmin(ShopModelView, model=Variant):
    """Find a variant by SKU or barcode; variants are edited on their product's page."""

    category = CATALOG
    icon = "fa-solid fa-barcode"
    can_create = can_edit = can_delete = False
    money_columns = ("price", "compare_at_price")
    column_list = [
        Variant.id,
        Variant.sku,
        Variant.title,
        Variant.product,
        Variant.price,
        Variant.inventory_policy,
    ]
    column_searchable_list = [Variant.sku, Variant.barcode]
    column_sortable_list = [Variant.id, Variant.sku, Variant.price]
    column_default_sort = [(Variant.id, True)]
    column_details_exclude_list = ["option_values"]

    @action("adjust-stock", "Adjust stock at a location", add_in_list=True)
    async def adjust_stock(self, request: Request) -> Response:
        def factory(session: Session, pks: list[int], posted: Any) -> Form:
            return stock_form(AdjustForm, session, posted)

        def run(session: Session, pks: list[int], data: dict[str, Any]) -> str:
            return run_stock_change(session, request, "adjust", pks[0], data)

        return await run_action(
            self, request, title="Adjust stock", run=run, form_factory=factory, single=True
        )


class CategoryAdmin(ShopModelView, model=Category):
    name_plural = "Categories"
    category = CATALOG
    icon = "fa-solid fa-sitemap"
    column_list = [Category.id, Category.name, Category.slug, Category.parent, Category.position]
    column_searchable_list = [Category.name, Category.slug]
    column_sortable_list = [Category.id, Category.name, Category.position]
    column_default_sort = [(Category.position, False), (Category.name, False)]
    form_excluded_columns = [*TIMESTAMPS, "children", "products"]
    column_details_exclude_list = ["products"]


class CollectionAdmin(ShopModelView, model=Collection):
    category = CATALOG
    icon = "fa-solid fa-layer-group"
    column_list = [Collection.id, Collection.title, Collection.slug, Collection.featured, Collection.position]
    column_searchable_list = [Collection.title, Collection.slug]
    column_sortable_list = [Collection.id, Collection.title, Collection.position]
    column_default_sort = [(Collection.position, False)]
    form_excluded_columns = [*TIMESTAMPS, "entries"]
    column_details_list = ["id", "title", "slug", "description", "featured", "position", "entries"]
    column_formatters_detail = {
        "entries": lambda m, a: [f"{e.position}. {e.product.title}" for e in m.entries]
    }
    non_link_related_fields = ["entries"]

    def details_query(self, request: Request) -> Any:
        return (
            super()
            .details_query(request)
            .options(selectinload(Collection.entries).selectinload(CollectionProduct.product))
        )


VIEWS = [ProductAdmin, VariantAdmin, CategoryAdmin, CollectionAdmin]
