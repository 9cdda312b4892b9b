"""Shoppers with accounts (or known from guest orders)."""

from __future__ import annotations

from sqladmin.filters import BooleanFilter

from shop.admin.base import ShopModelView
from shop.core.customers.models import Customer

PEOPLE = "Customers"


class CustomerAdmin(ShopModelView, model=Customer):
    category = PEOPLE
    icon = "fa-solid fa-user"
    column_list = [
        Customer.id,
        Customer.email,
        Customer.first_name,
        Customer.last_name,
        Customer.accepts_marketing,
        Customer.is_active,
        Customer.created_at,
    ]
    column_searchable_list = [Customer.email, Customer.first_name, Customer.last_name, Customer.phone]
    column_sortable_list = [Customer.id, Customer.email, Customer.last_name, Customer.created_at]
    column_default_sort = [(Customer.id, True)]
    column_filters = [BooleanFilter(Customer.accepts_marketing), BooleanFilter(Customer.is_active)]
    column_details_exclude_list = ["password_hash"]
    column_export_exclude_list = ["password_hash"]
    # Shoppers set their own passwords (reset by e-mail); the admin never sees or sets one.
    form_excluded_columns = ["password_hash", "last_login_at", "created_at", "updated_at", "addresses"]


VIEWS = [CustomerAdmin]
