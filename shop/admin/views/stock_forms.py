"""The forms and work behind the stock actions (adjust, count, transfer)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from wtforms import Form, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from shop.admin.audit import record_action
from shop.admin.auth import current_staff
from shop.core.inventory.adjustments import (
    MANUAL_REASONS,
    adjust_stock,
    set_on_hand,
    transfer_stock,
)
from shop.core.inventory.models import Location, MovementReason


def location_choices(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(select(Location.id, Location.name).order_by(Location.priority, Location.name))
    return [(str(i), n) for i, n in rows]


class AdjustForm(Form):
    location_id = SelectField("Location", [InputRequired()])
    delta = IntegerField("Change (+ received, - removed)", [InputRequired()])
    reason = SelectField("Reason", choices=[(r.value, r.value.capitalize()) for r in MANUAL_REASONS])
    note = StringField("Note", [Length(max=500)])


class CountForm(Form):
    location_id = SelectField("Location", [InputRequired()])
    counted = IntegerField("Counted on hand", [InputRequired(), NumberRange(min=0)])
    note = StringField("Note", [Length(max=500)])


class TransferForm(Form):
    location_id = SelectField("From", [InputRequired()])
    to_location_id = SelectField("To", [InputRequired()])
    quantity = IntegerField("Quantity", [InputRequired(), NumberRange(min=1)])
    note = StringField("Note", [Length(max=500)])


def stock_form(form_class: type[Form], session: Session, posted: Any, location_id: int | None = None) -> Form:
    form = form_class(posted)
    choices = location_choices(session)
    for name in ("location_id", "to_location_id"):
        if name in form._fields:
            form[name].choices = choices
    if location_id is not None and posted is None:
        form["location_id"].data = str(location_id)
    return form


def run_stock_change(
    session: Session, request: Request, kind: str, variant_id: int, data: dict[str, Any]
) -> str:
    actor = current_staff(request).email
    location_id = int(data["location_id"])
    note = data.get("note") or ""
    if kind == "adjust":
        level = adjust_stock(
            session,
            variant_id=variant_id,
            location_id=location_id,
            delta=data["delta"],
            reason=MovementReason(data["reason"]),
            actor=actor,
            note=note,
        )
        message = f"Stock changed by {data['delta']:+d}; {level.on_hand} on hand."
    elif kind == "count":
        set_on_hand(
            session,
            variant_id=variant_id,
            location_id=location_id,
            counted=data["counted"],
            actor=actor,
            note=note,
        )
        message = f"Count recorded: {data['counted']} on hand."
    else:
        transfer_stock(
            session,
            variant_id=variant_id,
            from_location_id=location_id,
            to_location_id=int(data["to_location_id"]),
            quantity=data["quantity"],
            actor=actor,
            note=note,
        )
        message = f"{data['quantity']} unit(s) transferred."
    record_action(
        session,
        request,
        action=f"stock_{kind}",
        object_type="variant",
        object_id=variant_id,
        changes={k: v for k, v in data.items()},
    )
    return message
