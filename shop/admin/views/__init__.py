"""Every admin view, registered in menu order."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shop.admin.site import ShopAdmin


def register_views(admin: ShopAdmin) -> None:
    from shop.admin.views import (
        audit,
        catalog,
        customers,
        discounts,
        inventory,
        orders,
        product_csv,
        reviews,
        settings,
        staff,
    )

    for module in (
        catalog,
        product_csv,
        inventory,
        orders,
        customers,
        reviews,
        discounts,
        settings,
        staff,
        audit,
    ):
        for view in module.VIEWS:
            admin.add_view(view)
