"""Failed sign-ins are limited per account and per client address.

A moving window in `limits` storage (memory, or Redis when several processes share the
limits), so that guessing a password is slow whichever way the guesses are spread.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from shop.config import Settings

# Failures allowed in the window before sign-in waits; successes never count.
PER_ACCOUNT = "5/15 minutes"
PER_ADDRESS = "20/15 minutes"


class LoginThrottle:
    def __init__(self, settings: Settings) -> None:
        uri = settings.redis_url or "memory://"
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri))
        # Overridable like the API's limits: SHOP_RATE_LIMITS='{"admin_login_account": "3/minute"}'
        rules = settings.rate_limits
        self._rules: dict[str, RateLimitItem] = {
            "account": parse(rules.get("admin_login_account", PER_ACCOUNT)),
            "address": parse(rules.get("admin_login_address", PER_ADDRESS)),
        }

    def wait(self, *, email: str, address: str) -> int | None:
        """Seconds to wait before another try is accepted, or None when one may try now."""
        waits = [
            self._seconds_left(rule, kind, key)
            for kind, key in (("account", email), ("address", address))
            if (rule := self._rules[kind]) and not self._limiter.test(rule, "admin-login", kind, key)
        ]
        return max(waits) if waits else None

    def failed(self, *, email: str, address: str) -> None:
        self._limiter.hit(self._rules["account"], "admin-login", "account", email)
        self._limiter.hit(self._rules["address"], "admin-login", "address", address)

    def _seconds_left(self, rule: RateLimitItem, kind: str, key: str) -> int:
        reset_at = self._limiter.get_window_stats(rule, "admin-login", kind, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))
