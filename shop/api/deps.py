"""Request-scoped dependencies as named aliases: one unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from shop.config import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed when the route returns, rolled back if it raises."""
    with request.app.state.sessions() as session, session.begin():
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A read-only snapshot that never takes SQLite's write lock."""
    with request.app.state.read_sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": the transaction commits before the answer is sent, so a client never
# hears "created" about something a failed commit then lost.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
