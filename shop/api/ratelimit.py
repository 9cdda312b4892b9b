"""Per-client rate limits with `limits`: in memory by default, Redis when several processes share them.

Routes opt in with a dependency: `Depends(rate_limit("checkout"))`. The rule for each name comes
from settings (`SHOP_RATE_LIMITS`), so a merchant can loosen or tighten them without code.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool

from shop.config import Settings


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        uri = settings.redis_url or "memory://"
        # Counting in memory takes microseconds and never blocks; Redis is a network call,
        # which must not stall the event loop.
        self.blocking = bool(settings.redis_url)
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri))
        self._rules: dict[str, RateLimitItem] = {
            name: parse(rule) for name, rule in settings.rate_limits.items()
        }

    def hit(self, name: str, client: str) -> float | None:
        """Count one request; the seconds to wait when over the limit, else None."""
        rule = self._rules.get(name)
        if rule is None:
            return None
        if self._limiter.hit(rule, name, client):
            return None
        reset_at = self._limiter.get_window_stats(rule, name, client).reset_time
        return max(1.0, reset_at - time.time())


def client_address(request: Request) -> str:
    # Behind a proxy, uvicorn's --proxy-headers (with --forwarded-allow-ips) fills request.client.
    return request.client.host if request.client else "unknown"


def rate_limit(name: str) -> Callable[[Request], Awaitable[None]]:
    # async: a plain `def` dependency would cost a trip through the threadpool per request.
    async def dependency(request: Request) -> None:
        limits: RateLimits = request.app.state.rate_limits
        if limits.blocking:
            wait = await run_in_threadpool(limits.hit, name, client_address(request))
        else:
            wait = limits.hit(name, client_address(request))
        if wait is not None:
            raise HTTPException(
                status_code=429,
                detail=f"too many {name} requests; try again in {math.ceil(wait)} s",
                headers={"Retry-After": str(math.ceil(wait))},
            )

    return dependency
