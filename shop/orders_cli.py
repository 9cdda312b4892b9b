"""`shop orders ...`: order housekeeping from the command line (cron, or by hand)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

orders_app = typer.Typer(help="Orders.", no_args_is_help=True)


@orders_app.command("expire")
def expire(
    as_json: Annotated[bool, typer.Option("--json", help='Print {"released": N}.')] = False,
) -> None:
    """Cancel unpaid orders past their payment deadline and give their stock back.

    Safe to run often (e.g. every minute from cron) and from several machines at once.
    """
    from shop.cli import load_settings, unit_of_work
    from shop.core.db import utcnow
    from shop.core.orders.services import expire_unpaid_orders

    settings = load_settings()
    with unit_of_work(settings) as session:
        released = expire_unpaid_orders(session, now=utcnow())
    if as_json:
        typer.echo(json.dumps({"released": released}))
    else:
        typer.echo(f"released {released} unpaid order(s) past their payment deadline")
