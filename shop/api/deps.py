"""Request-scoped dependencies as named aliases: one unit of work per request.

They are `async` on purpose. FastAPI runs every plain `def` dependency in the threadpool,
and a `def` generator twice (entering and leaving); each trip costs about as much as a
simple query. Nothing here blocks until the end of a request, when the transaction is
committed or rolled back: that one step goes to the threadpool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shop.config import Settings
from shop.core.db import end_read


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _commit(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's transaction: committed when the route returns, rolled back if it raises."""
    session: Session = request.app.state.sessions()
    session.begin()  # no I/O: the connection is taken by the first statement
    try:
        yield session
    except BaseException:
        # close() rolls back whatever the route left open. Shielded, like the commit below: a
        # client that hangs up must not leave a transaction (and its row locks) open.
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(session.close)
        raise
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(_commit, session)


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A read-only snapshot that never takes SQLite's write lock."""
    session: Session = request.app.state.read_sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(end_read, session)
        else:
            session.close()  # nothing was read: no connection to give back


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": the transaction commits before the answer is sent, so a client never
# hears "created" about something a failed commit then lost.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
