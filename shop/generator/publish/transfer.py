"""Running one stage of a publish in parallel, stopping at the first failure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")


def run_parallel(
    items: Sequence[T],
    work: Callable[[T], object],
    *,
    jobs: int,
    done: Callable[[], object] = lambda: None,
) -> None:
    """Apply `work` to every item on up to `jobs` threads; re-raise the first error.

    A failure cancels what has not started, and waits for what is in flight, so when
    this returns or raises no write of this stage is still running.
    """
    if not items:
        return
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(items))), thread_name_prefix="publish")
    try:

        def report(future: Future[object]) -> None:
            if not future.cancelled() and future.exception() is None:
                done()

        futures = [pool.submit(work, item) for item in items]
        for future in futures:
            future.add_done_callback(report)
        finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in finished:
            error = future.exception()
            if error is not None:
                raise error
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
