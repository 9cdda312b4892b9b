"""A per-process gate for write transactions that contend: at most N run at once, the rest
wait in arrival order.

Without it, every checkout a process has accepted runs at once in the threadpool. They then
share one interpreter lock, and each statement's answer waits behind the other threads'
Python before it is read, while the checkout holds its stock rows' locks. Measured at 16
clients on 2 cores: p99 350-450 ms with everything admitted, 170-220 ms with two at a time,
at a higher rate (bench/api.py).
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType

from prometheus_client import Histogram


class Gate:
    """An asyncio semaphore (FIFO) made on first use in the running loop: the app may be driven
    by several event loops over its life (tests' clients, uvicorn's reloads)."""

    def __init__(self, slots: int, waited: Histogram | None = None) -> None:
        self.slots = slots
        self._waited = waited  # each entry's wait, for tuning `slots`
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: asyncio.Semaphore | None = None

    def _current(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._loop, self._semaphore = loop, asyncio.Semaphore(self.slots)
        return self._semaphore

    async def __aenter__(self) -> None:
        started = time.perf_counter()
        await self._current().acquire()
        if self._waited is not None:
            self._waited.observe(time.perf_counter() - started)

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        assert self._semaphore is not None
        self._semaphore.release()
