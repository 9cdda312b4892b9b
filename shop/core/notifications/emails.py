"""The shopper mails: each outbox topic's payload -> plain data -> Jinja2 templates -> a Mail.

Templates ship in `templates/` beside this module; a store overrides any of them by putting a
file of the same name in its `emails/` folder. `NAME.txt` starts with a `Subject:` line, then
the plain-text body; `NAME.html` is the HTML alternative. Templates receive plain dicts, never
ORM objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.exceptions import TemplateNotFound
from sqlalchemy.orm import Session, selectinload, sessionmaker

from shop.config import Settings
from shop.core.money import Money
from shop.core.notifications.mail import Mail, Mailer, build_message
from shop.core.notifications.services import (
    EMAIL_ORDER_CONFIRMATION,
    EMAIL_PASSWORD_RESET,
    EMAIL_REFUND,
    EMAIL_SHIPPING_CONFIRMATION,
)
from shop.core.orders.models import Fulfillment, FulfillmentLine, FulfillmentStatus, Order
from shop.core.payments.manual import order_page_url

# The storefront page where a shopper picks a new password (the generator renders it).
RESET_PAGE = "/account/reset-password/"


class Skip(Exception):
    """Nothing to send, and retrying would not change that (e.g. the order was deleted)."""


@dataclass(frozen=True)
class MailContext:
    settings: Settings
    sessions: sessionmaker[Session]
    mailer: Mailer
    templates: Environment


def template_environment(settings: Settings) -> Environment:
    loader = ChoiceLoader(
        [
            FileSystemLoader(str(settings.dir / "emails")),
            PackageLoader("shop.core.notifications", "templates"),
        ]
    )
    return Environment(
        loader=loader,
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def render(env: Environment, name: str, to: str, context: dict[str, Any]) -> Mail:
    text = env.get_template(f"{name}.txt").render(context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"email template {name}.txt must start with a 'Subject:' line")
    try:
        html: str | None = env.get_template(f"{name}.html").render(context)
    except TemplateNotFound:
        html = None
    return Mail(to=to, subject=first.removeprefix("Subject:").strip(), text=body.lstrip("\n"), html=html)


def _money(amount: int, currency: str) -> str:
    return str(Money(amount, currency))


def _address(address: dict[str, Any] | None) -> str:
    if not address:
        return ""
    name = " ".join(filter(None, [address.get("first_name"), address.get("last_name")]))
    city = " ".join(filter(None, [address.get("postal_code"), address.get("city")]))
    rows = [
        name,
        address.get("company"),
        address.get("line1"),
        address.get("line2"),
        city,
        address.get("region"),
        address.get("country"),
    ]
    return "\n".join(str(row) for row in rows if row)


def order_view(settings: Settings, order: Order) -> dict[str, Any]:
    currency = order.currency
    address = order.shipping_address or {}
    return {
        "number": order.number,
        "name": str(address.get("first_name") or "").strip(),
        "lines": [
            {
                "title": line.title,
                "variant_title": line.variant_title if line.variant_title != "Default" else "",
                "quantity": line.quantity,
                "total": _money(line.line_total, currency),
            }
            for line in order.lines
        ],
        "subtotal": _money(order.subtotal, currency),
        "discount": _money(order.discount_total, currency),
        "discount_amount": order.discount_total,
        "discount_code": order.discount_code or "",
        "shipping": _money(order.shipping_total, currency),
        "shipping_method": order.shipping_method_name,
        "tax": _money(order.tax_total, currency),
        "tax_amount": order.tax_total,
        "prices_include_tax": order.prices_include_tax,
        "total": _money(order.total, currency),
        "address": _address(order.shipping_address),
        "url": order_page_url(settings, order),
    }


def _base(ctx: MailContext) -> dict[str, Any]:
    return {"store_name": ctx.settings.store_name, "site_url": ctx.settings.site_url}


def _load_order(session: Session, payload: dict[str, Any]) -> Order:
    order = session.get(Order, int(payload["order_id"]), options=[selectinload(Order.lines)])
    if order is None:
        raise Skip(f"order {payload.get('order_number', payload['order_id'])} no longer exists")
    return order


def _send(ctx: MailContext, mail: Mail) -> None:
    ctx.mailer.send(build_message(mail, sender=ctx.settings.mail_from, sender_name=ctx.settings.store_name))


def order_confirmation(ctx: MailContext, payload: dict[str, Any]) -> Mail:
    with ctx.sessions() as session:
        order = _load_order(session, payload)
        context = {
            **_base(ctx),
            "order": order_view(ctx.settings, order),
            "resend": bool(payload.get("resend")),
        }
        return render(ctx.templates, "order_confirmation", order.email, context)


def shipping_confirmation(ctx: MailContext, payload: dict[str, Any]) -> Mail:
    with ctx.sessions() as session:
        order = _load_order(session, payload)
        fulfillment = session.get(
            Fulfillment,
            int(payload["fulfillment_id"]),
            options=[selectinload(Fulfillment.lines).selectinload(FulfillmentLine.order_line)],
        )
        if fulfillment is None or fulfillment.order_id != order.id:
            raise Skip(f"shipment {payload['fulfillment_id']} of order #{order.number} no longer exists")
        shipped = [
            {
                "title": fl.order_line.title,
                "quantity": fl.quantity,
                "variant_title": fl.order_line.variant_title
                if fl.order_line.variant_title != "Default"
                else "",
            }
            for fl in fulfillment.lines
        ]
        context = {
            **_base(ctx),
            "order": order_view(ctx.settings, order),
            "shipped": shipped,
            "complete": order.fulfillment_status == FulfillmentStatus.FULFILLED,
            "carrier": fulfillment.carrier,
            "tracking_number": fulfillment.tracking_number,
            "tracking_url": fulfillment.tracking_url,
        }
        return render(ctx.templates, "shipping_confirmation", order.email, context)


def refund(ctx: MailContext, payload: dict[str, Any]) -> Mail:
    with ctx.sessions() as session:
        order = _load_order(session, payload)
        context = {
            **_base(ctx),
            "order": order_view(ctx.settings, order),
            "amount": _money(int(payload["amount"]), str(payload["currency"])),
        }
        return render(ctx.templates, "refund", order.email, context)


def password_reset(ctx: MailContext, payload: dict[str, Any]) -> Mail:
    expires = datetime.fromisoformat(payload["expires_at"])
    query = urlencode({"token": payload["token"]})
    context = {
        **_base(ctx),
        "first_name": payload.get("first_name") or "",
        "reset_url": f"{ctx.settings.site_url}{RESET_PAGE}?{query}",
        "expires_at": expires.strftime("%Y-%m-%d %H:%M UTC"),
    }
    return render(ctx.templates, "password_reset", str(payload["email"]), context)


MAIL_BUILDERS: dict[str, Callable[[MailContext, dict[str, Any]], Mail]] = {
    EMAIL_ORDER_CONFIRMATION: order_confirmation,
    EMAIL_SHIPPING_CONFIRMATION: shipping_confirmation,
    EMAIL_REFUND: refund,
    EMAIL_PASSWORD_RESET: password_reset,
}


def mail_handler(
    builder: Callable[[MailContext, dict[str, Any]], Mail],
) -> Callable[[MailContext, dict[str, Any]], None]:
    def handle(ctx: MailContext, payload: dict[str, Any]) -> None:
        _send(ctx, builder(ctx, payload))

    return handle
