"""Custom admin actions as confirm-then-POST pages.

sqladmin's `@action` routes are GET links. Here a GET (which must carry the CSRF
token, see csrf.py) only renders a confirmation page, with the action's own form
fields if it has any; the POST from that page (token checked again) does the work
in one transaction, writes the audit rows and redirects back with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
from sqladmin import Flash
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import Form

from shop.admin.audit import record_action
from shop.core.db import unit_of_work
from shop.core.errors import DomainError

if TYPE_CHECKING:
    from shop.admin.base import ShopModelView

ACTION_TEMPLATE = "shop_admin/action.html"

# (session, primary keys, validated form data) -> the message shown after success
Runner = Callable[[Session, list[int], dict[str, Any]], str]


def selected_pks(request: Request, form: FormData | None = None) -> list[int]:
    raw = (form.get("pks") if form is not None else None) or request.query_params.get("pks", "")
    pks = []
    for part in str(raw).split(","):
        part = part.strip()
        if part.isdigit():
            pks.append(int(part))
    return pks


async def run_action(
    view: ShopModelView,
    request: Request,
    *,
    title: str,
    run: Runner,
    form_class: type[Form] | None = None,
    describe: Callable[[Session, list[int]], list[str]] | None = None,
    single: bool = False,
    form_factory: Callable[[Session, list[int], FormData | None], Form] | None = None,
    needs_selection: bool = True,
    note: Callable[[Session, list[int]], str] | None = None,
) -> Response:
    """Render the confirmation page on GET; on POST validate, run, audit, redirect."""
    posted = await request.form() if request.method == "POST" else None
    pks = selected_pks(request, posted)
    if needs_selection and not pks:
        Flash.warning(request, "Select at least one row first.")
        return RedirectResponse(_back_url(view, request, []), status_code=302)
    if single and len(pks) != 1:
        Flash.warning(request, f"“{title}” works on one {view.name.lower()} at a time; select exactly one.")
        return RedirectResponse(_back_url(view, request, []), status_code=302)

    sessions = view.shop_admin.sessions
    with view.read_session_maker() as session:
        labels = (describe(session, pks) if describe else [f"{view.name} {pk}" for pk in pks]) if pks else []
        hint = note(session, pks) if note and pks else ""
        if form_factory is not None:
            form = form_factory(session, pks, posted)
        else:
            form = form_class(posted) if form_class else Form(posted)

    context: dict[str, Any] = {
        "title": title,
        "labels": labels,
        "pks": pks,
        "form": form,
        "model_view": view,
        "note": hint,
    }
    if posted is None:
        return await view.templates.TemplateResponse(request, ACTION_TEMPLATE, context)
    if not form.validate():
        return await view.templates.TemplateResponse(request, ACTION_TEMPLATE, context, status_code=400)

    def work() -> str:
        with unit_of_work(sessions) as session:
            return run(session, pks, form.data)

    try:
        message = await anyio.to_thread.run_sync(work)
    except DomainError as exc:
        field = form._fields.get(exc.field or "") if exc.field else None
        if field is not None:
            field.errors = [*field.errors, exc.detail]
        context["error"] = exc.detail
        return await view.templates.TemplateResponse(request, ACTION_TEMPLATE, context, status_code=400)
    except IntegrityError:
        context["error"] = "The change conflicts with data saved meanwhile; nothing was changed. Try again."
        return await view.templates.TemplateResponse(request, ACTION_TEMPLATE, context, status_code=409)
    Flash.success(request, message)
    return RedirectResponse(_back_url(view, request, pks), status_code=302)


async def run_status_action(
    view: ShopModelView,
    request: Request,
    *,
    title: str,
    status: str,
    change: Callable[[Session, list[int]], list[int]],
    describe: Callable[[Session, list[int]], list[str]],
) -> Response:
    """A bulk status change (`change` returns the ids it changed), one audit row per row changed."""

    def run(session: Session, pks: list[int], _data: dict[str, Any]) -> str:
        changed = change(session, pks)
        for pk in changed:
            record_action(
                session,
                request,
                action=f"{view.identity}_{status}",
                object_type=view.identity,
                object_id=pk,
                changes={"status": status},
            )
        unchanged = len(pks) - len(changed)
        return f"{len(changed)} {view.name.lower()}(s) now {status}" + (
            f"; {unchanged} already were." if unchanged else "."
        )

    return await run_action(view, request, title=title, run=run, describe=describe)


def _back_url(view: ShopModelView, request: Request, pks: list[int]) -> str:
    if len(pks) == 1 and view.can_view_details:
        return str(request.url_for("admin:details", identity=view.identity, pk=str(pks[0])))
    return str(request.url_for("admin:list", identity=view.identity))
