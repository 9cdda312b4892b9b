"""`shop serve`: uvicorn in one process, or in several that share the port evenly.

uvicorn's own `--workers` binds one socket in a supervisor and every worker accepts from it.
A worker that wakes first takes every connection waiting, so connections opened together (a
browser's, a proxy's pool, a burst of shoppers) pile onto one process: measured with 16 keep-
alive clients on 2 workers, splits of 11/5 to 15/1 were common, and the crowded worker's
requests waited twice as long (checkout p99 110-160 ms against 98 ms for an even split).

On Linux each worker here binds a socket of its own with SO_REUSEPORT, and the kernel spreads
new connections over them (by a hash of the addresses): in the same benchmark every client's
mean latency stayed within a factor of two of the others' and checkout p99 was 98-143 ms over
five runs (median 116 ms, against 132 ms through one shared socket). Elsewhere (macOS and
BSD give SO_REUSEPORT no balancing), or with one worker, uvicorn runs as it always did. A
worker that dies is started again; SIGINT and SIGTERM stop every worker gracefully (uvicorn
finishes their requests).
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

# A worker that exits this soon after starting could not serve (a port already taken, an
# app that fails to import): stop everything and say so, rather than restart it forever.
STARTUP_SECONDS = 10.0
# On stopping: how long workers that had the signal themselves get before being sent SIGTERM.
GRACE_SECONDS = 2.0


class ServeError(Exception):
    pass


def balanced() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def serve(factory: str, *, host: str, port: int, workers: int, log_level: str) -> None:
    if workers <= 1 or not balanced():
        uvicorn.run(
            factory,
            host=host,
            port=port,
            workers=workers,
            factory=True,
            log_level=log_level,
            access_log=False,  # the app logs each request itself, with its request id
        )
        return
    Supervisor(factory, host=host, port=port, workers=workers, log_level=log_level).run()


def _listen(host: str, port: int, *, shared: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _worker(factory: str, host: str, port: int, log_level: str) -> None:
    """One worker process: its own socket in the port's SO_REUSEPORT group, one uvicorn."""
    try:
        sock = _listen(host, port)
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        sys.exit(3)
    config = uvicorn.Config(factory, factory=True, log_level=log_level, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    def __init__(self, factory: str, *, host: str, port: int, workers: int, log_level: str) -> None:
        self.args = (factory, host, port, log_level)
        self.host, self.port, self.count = host, port, workers
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[tuple[BaseProcess, float]] = []
        self.stopping = False

    def _start(self) -> tuple[BaseProcess, float]:
        process = self.context.Process(target=_worker, args=self.args, name="shop-api-worker")
        process.start()
        return process, time.monotonic()

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> None:
        # Fail at once, in this process, when anything listens on the port already. The probe
        # does not set SO_REUSEPORT, so another server's workers (another `shop serve` on the
        # same port) refuse it too, instead of quietly sharing their connections with ours.
        try:
            _listen(self.host, self.port, shared=False).close()
        except OSError as exc:
            raise ServeError(f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.workers = [self._start() for _ in range(self.count)]
            self._watch()
        finally:
            # A Ctrl-C or a signal to the process group reached the workers too, and a second
            # signal would make uvicorn skip its graceful shutdown: give them a moment first.
            deadline = time.monotonic() + GRACE_SECONDS
            for process, _ in self.workers:
                process.join(max(0.0, deadline - time.monotonic()))
            for process, _ in self.workers:
                if process.is_alive():
                    process.terminate()  # SIGTERM: uvicorn's graceful shutdown
            for process, _ in self.workers:
                process.join(30)
                if process.is_alive():
                    process.kill()
                    process.join()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _watch(self) -> None:
        while not self.stopping:
            time.sleep(0.2)
            for i, (process, started) in enumerate(self.workers):
                if process.is_alive() or self.stopping:
                    continue
                if time.monotonic() - started < STARTUP_SECONDS:
                    raise ServeError(f"an API worker exited with {process.exitcode} while starting")
                print(
                    f"warning: API worker {process.pid} exited with {process.exitcode}; starting another",
                    file=sys.stderr,
                )
                self.workers[i] = self._start()
