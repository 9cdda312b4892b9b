"""Shipping methods and tax rates."""

from __future__ import annotations

from shop.admin.base import ShopModelView
from shop.core.shipping.models import ShippingMethod
from shop.core.tax.models import TaxRate

SETTINGS = "Settings"


class ShippingMethodAdmin(ShopModelView, model=ShippingMethod):
    category = SETTINGS
    icon = "fa-solid fa-truck"
    money_columns = ("price", "free_over")
    column_list = [
        ShippingMethod.id,
        ShippingMethod.name,
        ShippingMethod.code,
        ShippingMethod.price,
        ShippingMethod.free_over,
        ShippingMethod.countries,
        ShippingMethod.active,
        ShippingMethod.position,
    ]
    column_searchable_list = [ShippingMethod.name, ShippingMethod.code]
    column_sortable_list = [ShippingMethod.name, ShippingMethod.price, ShippingMethod.position]
    column_default_sort = [(ShippingMethod.position, False)]
    form_excluded_columns = ["created_at", "updated_at"]
    form_args = {
        "countries": {"description": "Comma-separated country codes (DE, AT); empty ships everywhere."},
        "free_over": {"description": "Free when the order reaches this amount; empty for never."},
    }


class TaxRateAdmin(ShopModelView, model=TaxRate):
    category = SETTINGS
    icon = "fa-solid fa-percent"
    percent_columns = ("rate_bps",)
    column_labels = {"rate_bps": "Rate"}
    column_list = [
        TaxRate.id,
        TaxRate.name,
        TaxRate.country,
        TaxRate.region,
        TaxRate.rate_bps,
        TaxRate.prices_include_tax,
        TaxRate.applies_to_shipping,
    ]
    column_searchable_list = [TaxRate.name, TaxRate.country, TaxRate.region]
    column_sortable_list = [TaxRate.country, TaxRate.rate_bps]
    column_default_sort = [(TaxRate.country, False)]
    form_excluded_columns = ["created_at", "updated_at"]


VIEWS = [ShippingMethodAdmin, TaxRateAdmin]
