"""The ASGI application: the API under /api/v1, the admin under /admin, and (for the demo
and preview) the built storefront at /."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine
from starlette.staticfiles import StaticFiles

from shop import __version__
from shop.admin import mount_admin
from shop.api import (
    auth,
    availability,
    carts,
    checkout,
    health,
    me,
    metrics,
    orders,
    problems,
    reviews,
    webhooks,
)
from shop.api.admission import Gate
from shop.api.bodylimit import WEBHOOK_BODY_LIMIT, BodySizeLimit
from shop.api.metrics import CHECKOUT_GATE_WAIT
from shop.api.observability import ObservabilityMiddleware
from shop.api.ratelimit import RateLimits
from shop.config import Settings, check_production, get_settings
from shop.core import models as _models  # noqa: F401  (every mapper and listener, before any query)
from shop.core.db import make_engine, make_session_factory

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None, *, serve_site: bool = False, outbox_worker: bool = False
) -> FastAPI:
    """The app; with `outbox_worker`, it also delivers the outbox in a background thread (the
    embedded SQLite setup, where no separate `shop worker` process runs)."""
    settings = settings or get_settings()
    check_production(settings)
    # Each API process may hold twice the pool at a peak: PostgreSQL's max_connections must
    # cover workers x 2 x db_pool_size, plus the outbox workers and the admin's builds.
    size = settings.db_pool_size
    pool: dict[str, Any] = {} if settings.is_sqlite else {"pool_size": size, "max_overflow": size}
    engine = make_engine(settings.resolved_database_url, **pool)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        with _background_worker(settings, engine, enabled=outbox_worker):
            yield
        engine.dispose()

    app = FastAPI(
        title=f"{settings.store_name} API",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    # API reads (a cart, availability, an order's status) need no snapshot across statements.
    app.state.read_sessions = make_session_factory(engine, read_only=True, snapshot=False)
    app.state.rate_limits = RateLimits(settings)
    app.state.checkout_gate = Gate(settings.checkout_concurrency, CHECKOUT_GATE_WAIT)

    problems.install(app)
    # Added first, so it runs inside CORS: a 413 still carries the CORS headers a browser needs.
    app.add_middleware(
        BodySizeLimit, prefix=API_PREFIX, overrides={f"{API_PREFIX}/webhooks/": WEBHOOK_BODY_LIMIT}
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.all_cors_origins,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Content-Type", "Authorization", "Idempotency-Key", "X-Request-ID"],
        expose_headers=["Retry-After", "Idempotent-Replayed", "X-Request-ID"],
    )
    # Outermost, so its id and timing cover CORS, size limits and error handling too.
    app.add_middleware(ObservabilityMiddleware)
    app.include_router(health.router, prefix=API_PREFIX)
    for module in (availability, carts, checkout, orders, auth, me, reviews, webhooks):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(metrics.router)
    mount_admin(app, settings)
    if serve_site:
        settings.output_path.mkdir(parents=True, exist_ok=True)
        app.mount("/media", StaticFiles(directory=settings.media_path, check_dir=False), name="media")
        app.mount("/", StaticFiles(directory=settings.output_path, html=True), name="site")
    return app


@contextmanager
def _background_worker(settings: Settings, engine: Engine, *, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    from shop.core.notifications.worker import OutboxWorker
    from shop.generator import rebuild

    # No `shop worker` runs beside an embedded server, so this thread also keeps the built
    # storefront in step with admin edits.
    worker = OutboxWorker(settings, engine, handlers=rebuild.handlers(jobs=1))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="outbox-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
