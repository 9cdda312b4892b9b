"""`site.rebuild` outbox events (admin edits, moderation, imports): an incremental build, so the
output folder follows the catalog without anyone running `shop build`. Publishing stays a
deliberate step (`shop publish`)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from shop.core.notifications.emails import MailContext
from shop.core.notifications.services import SITE_REBUILD
from shop.core.notifications.worker import Handler

log = logging.getLogger(__name__)


def rebuild_site(context: MailContext, payload: dict[str, Any], *, jobs: int | None = None) -> None:
    from shop.generator.pipeline import build_site

    summary = build_site(context.settings, jobs=jobs)
    log.info(
        "site rebuilt (%s): %d pages written, %d deleted",
        payload.get("reason", "change"),
        summary.pages_written,
        summary.pages_deleted,
    )


def handlers(*, jobs: int | None = None) -> dict[str, Handler]:
    """For `OutboxWorker(handlers=...)`. `jobs=1` where the worker is a thread of a server:
    forking a threaded process can deadlock on a lock another thread held, so such a build
    renders in its own thread."""
    return {SITE_REBUILD: partial(rebuild_site, jobs=jobs) if jobs else rebuild_site}
