"""One publish, rollback or prune at a time per target: a lease at `_shop/lock.json`.

Two runs at once would interleave their files and each write its own `current.json`,
leaving a live site that neither release describes. The lease is created with a
conditional write, so of two runs only one gets it; it names its holder and expires, so a
run that died does not block the target for ever.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from shop.generator.publish.files import RESERVED_PREFIX
from shop.generator.publish.targets import Headers, Target, TargetError

LOCK_KEY = f"{RESERVED_PREFIX}lock.json"
# Longer than any publish should take (50,000 files at 16 transfers take minutes), short
# enough that a crashed run's lease does not stop the next day's publish.
LEASE = timedelta(hours=2)
_HEADERS = Headers("application/json; charset=utf-8", "no-store")


class TargetBusy(TargetError):
    """Another run holds the target's lease."""


@contextmanager
def lease(target: Target, action: str) -> Iterator[None]:
    """Hold the target's lease for the duration of the block, or raise TargetBusy."""
    token = secrets.token_hex(8)
    now = datetime.now(UTC)
    record = {
        "token": token,
        "action": action,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "since": now.isoformat(timespec="seconds"),
        "expires": (now + LEASE).isoformat(timespec="seconds"),
    }
    data = json.dumps(record).encode()
    if not target.create(LOCK_KEY, data, _HEADERS):
        holder = _read(target)
        if holder is not None and not _expired(holder, now):
            raise TargetBusy(
                f"{target.url}: another {holder.get('action', 'run')} holds the target (host "
                f"{holder.get('host')}, pid {holder.get('pid')}, since {holder.get('since')}); "
                f"try again when it ends; if it died, its lease expires at {holder.get('expires')} "
                f"or delete {LOCK_KEY} there"
            )
        # The holder died long ago (or left an unreadable record): take the lease over.
        target.delete([LOCK_KEY])
        if not target.create(LOCK_KEY, data, _HEADERS):
            raise TargetBusy(f"{target.url}: another run took the expired lease first; try again")
    try:
        yield
    finally:
        holder = _read(target)
        if holder is not None and holder.get("token") == token:
            target.delete([LOCK_KEY])


def _read(target: Target) -> dict[str, object] | None:
    raw = target.read(LOCK_KEY)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _expired(holder: dict[str, object], now: datetime) -> bool:
    try:
        return datetime.fromisoformat(str(holder["expires"])) <= now
    except (KeyError, ValueError):
        return True  # a record we cannot read protects nothing
