"""Discount codes, and generating a batch of single-use codes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqladmin import action
from sqladmin.filters import BooleanFilter
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from wtforms import DateTimeField, Form, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from shop.admin.actions import run_action
from shop.admin.audit import record_action
from shop.admin.base import ShopModelView
from shop.admin.fields import MoneyField
from shop.admin.views.filters import enum_filter
from shop.core.discounts.generation import MAX_BATCH, generate_codes
from shop.core.discounts.models import DiscountCode, DiscountKind
from shop.core.errors import InvalidInput
from shop.core.money import Money, exponent

VALUE_HELP = "Percent for percentage codes (15 = 15 %), an amount for fixed codes, ignored for free shipping."


def discount_value(kind: DiscountKind | str, text: Any, currency: str) -> int:
    """What the merchant typed, as stored: basis points or minor units."""
    kind = DiscountKind(kind)
    if kind is DiscountKind.FREE_SHIPPING or text in (None, ""):
        return 0
    try:
        if kind is DiscountKind.PERCENT:
            bps = Decimal(str(text).strip().rstrip("%")) * 100
            if bps != bps.to_integral_value() or not 0 < bps <= 10000:
                raise InvalidInput(
                    "a percentage is above 0 and at most 100, two decimals at most", field="value"
                )
            return int(bps)
        return Money.parse(str(text), currency).amount
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"“{text}” is not a number", field="value") from None


def show_value(code: DiscountCode, currency: str) -> str:
    if code.kind is DiscountKind.PERCENT:
        return f"{Decimal(code.value) / 100:.2f}"
    if code.kind is DiscountKind.FIXED:
        return f"{Decimal(code.value).scaleb(-exponent(currency))}"
    return ""


def _show(code: DiscountCode, currency: str) -> str:
    if code.kind is DiscountKind.PERCENT:
        return f"{code.value / 100:.2f} %"
    if code.kind is DiscountKind.FIXED:
        return str(Money(code.value, currency))
    return "free shipping"


class DiscountCodeAdmin(ShopModelView, model=DiscountCode):
    icon = "fa-solid fa-tags"
    money_columns = ("minimum_subtotal",)
    column_list = [
        DiscountCode.id,
        DiscountCode.code,
        DiscountCode.kind,
        DiscountCode.value,
        DiscountCode.active,
        DiscountCode.times_used,
        DiscountCode.usage_limit,
        DiscountCode.starts_at,
        DiscountCode.ends_at,
    ]
    column_searchable_list = [DiscountCode.code]
    column_sortable_list = [DiscountCode.code, DiscountCode.times_used, DiscountCode.ends_at]
    column_default_sort = [(DiscountCode.id, True)]
    column_filters = [enum_filter(DiscountCode.kind, DiscountKind), BooleanFilter(DiscountCode.active)]
    form_excluded_columns = ["times_used", "created_at", "updated_at"]
    form_overrides = {"value": StringField}
    form_args = {"value": {"description": VALUE_HELP, "validators": [Optional()]}}

    column_formatters = {"value": lambda m, a, request: _show(m, request.app.state.settings.currency)}
    column_formatters_detail = column_formatters

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        data = await super().get_form_data_for_edit(obj)
        data["value"] = show_value(obj, self.currency)
        return data

    async def on_model_change(self, data: dict, model: Any, is_created: bool, request: Request) -> None:
        await super().on_model_change(data, model, is_created, request)
        data["code"] = str(data.get("code") or "").strip().upper()
        data["value"] = discount_value(
            data.get("kind") or DiscountKind.PERCENT, data.get("value"), self.currency
        )

    @action("generate", "Generate a batch of codes", add_in_detail=False)
    async def generate(self, request: Request) -> Response:
        currency = self.currency

        class GenerateForm(Form):
            count = IntegerField("How many", [InputRequired(), NumberRange(min=1, max=MAX_BATCH)], default=10)
            prefix = StringField("Prefix", [Optional()], description="e.g. SPRING-")
            kind = SelectField("Kind", choices=[(k.value, k.value.replace("_", " ")) for k in DiscountKind])
            value = StringField("Value", description=VALUE_HELP)
            usage_limit = IntegerField("Uses per code", [Optional(), NumberRange(min=1)], default=1)
            minimum_subtotal = MoneyField(f"Minimum order ({currency})", [Optional()], currency=currency)
            ends_at = DateTimeField(
                "Valid until (UTC)",
                [Optional()],
                format="%Y-%m-%d %H:%M:%S",
                render_kw={"data-role": "datetimepicker"},
            )

        def run(session: Session, _pks: list[int], data: dict[str, Any]) -> str:
            kind = DiscountKind(data["kind"])
            ends_at = data["ends_at"].replace(tzinfo=UTC) if data.get("ends_at") else None
            if ends_at is not None and ends_at <= datetime.now(UTC):
                raise InvalidInput("the end date is in the past", field="ends_at")
            codes = generate_codes(
                session,
                count=data["count"],
                kind=kind,
                value=discount_value(kind, data.get("value"), currency),
                prefix=data.get("prefix") or "",
                usage_limit=data.get("usage_limit"),
                minimum_subtotal=data.get("minimum_subtotal") or 0,
                ends_at=ends_at,
            )
            record_action(
                session,
                request,
                action="discount_generate",
                object_type="discount-code",
                object_id=f"{codes[0]}..{codes[-1]}",
                changes={"count": len(codes), "kind": kind.value, "first": codes[0], "last": codes[-1]},
            )
            return f"{len(codes)} codes generated, {codes[0]} … {codes[-1]}."

        return await run_action(
            self,
            request,
            title="Generate discount codes",
            run=run,
            form_class=GenerateForm,
            needs_selection=False,
        )


VIEWS = [DiscountCodeAdmin]
