"""`shop serve`: uvicorn in one process, or in several that are dealt connections evenly.

How connections reach several workers decides the tail latency, because each worker is one
interpreter: a worker holding more keep-alive connections than the others serves each of
them less often. Measured with 16 keep-alive clients on 2 workers (bench/api.py):

- uvicorn's own `--workers` binds one socket that every worker accepts from. The worker that
  wakes first takes every connection waiting, so connections opened together (a browser's,
  a proxy's pool, a burst of shoppers) pile onto one process: splits of 11/5 to 15/1.
- One SO_REUSEPORT socket per worker lets the kernel pick a worker by a hash of the
  addresses: a random split, even only about one time in five with 16 clients (9/7 and 10/6
  are common), and the crowded worker's clients waited up to twice as long as the others.
- Here the supervisor accepts every connection itself and hands it (its file descriptor,
  over a Unix socket) to the worker holding the fewest open connections; each worker tells
  the supervisor when one of its connections closes. Node's cluster module deals
  connections from its primary process the same way. The supervisor touches no request: a
  connection costs it one accept and one sendmsg.

Off POSIX, or with one worker, uvicorn runs as it always did. A worker that dies is started
again; SIGINT and SIGTERM stop every worker gracefully (uvicorn finishes their requests).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

# A worker that exits this soon after starting could not serve (an app that fails to import,
# a database that refuses it): stop everything and say so, rather than restart it forever.
STARTUP_SECONDS = 10.0
# On stopping: how long workers get to finish their requests before they are made to stop.
SHUTDOWN_SECONDS = 30.0
# What a worker sends the supervisor when one of its connections has closed.
CLOSED = b"c"


class ServeError(Exception):
    pass


def balanced() -> bool:
    return hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX")


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


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


# -- a worker -------------------------------------------------------------------------------


def _worker(factory: str, host: str, port: int, log_level: str, channel: socket.socket) -> None:
    """One worker process: one uvicorn that serves the connections the supervisor hands it."""
    config = uvicorn.Config(
        factory, factory=True, host=host, port=port, log_level=log_level, access_log=False
    )
    HandedConnections(config, channel).run(sockets=[])


class HandedConnections(uvicorn.Server):
    """A uvicorn server that listens on no socket of its own: connections arrive as file
    descriptors on `channel`, and it writes CLOSED there as each one closes."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self._taking: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])
        if self.should_exit:
            return
        loop = asyncio.get_running_loop()
        config, state, lifespan, closed = self.config, self.server_state, self.lifespan, self._closed

        class Protocol(config.http_protocol_class):  # type: ignore[name-defined]
            def connection_lost(self, exc: Exception | None) -> None:
                super().connection_lost(exc)
                closed()

        self._protocol = lambda: Protocol(
            config=config, server_state=state, app_state=lifespan.state, _loop=loop
        )
        self.channel.setblocking(False)
        loop.add_reader(self.channel.fileno(), self._receive, loop)

    def _receive(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.channel, 64, 64)
            except BlockingIOError:
                return
            except OSError:
                data, fds = b"", []
            for fd in fds:
                task = loop.create_task(self._take(loop, socket.socket(fileno=fd)))
                self._taking.add(task)
                task.add_done_callback(self._taking.discard)
            if not data:  # the supervisor is gone: finish what is open, take nothing more
                loop.remove_reader(self.channel.fileno())
                self.should_exit = True
                return

    async def _take(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        try:
            await loop.connect_accepted_socket(self._protocol, sock)
        except OSError:  # the client left before it could be served
            sock.close()
            self._closed()

    def _closed(self) -> None:
        # OSError: the supervisor is gone, or so far behind that one count can be lost.
        with contextlib.suppress(OSError):
            self.channel.send(CLOSED)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        with contextlib.suppress(ValueError, OSError):  # never added: the app failed to start
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
        await super().shutdown(sockets=sockets)


# -- the supervisor -------------------------------------------------------------------------


@dataclass
class _Slot:
    process: BaseProcess
    channel: socket.socket
    started: float
    open: int = 0  # connections handed over and not yet reported closed


class Supervisor:
    def __init__(self, factory: str, *, host: str, port: int, workers: int, log_level: str) -> None:
        self.factory, self.host, self.port, self.log_level = factory, host, port, log_level
        self.count = workers
        self.context = multiprocessing.get_context("spawn")
        self.slots: list[_Slot] = []
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        # An accepted connection no worker had room for yet; while it waits, nothing more is
        # accepted and new connections wait in the listen backlog (a burst while workers start).
        self.pending: socket.socket | None = None

    def _start(self) -> _Slot:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        process = self.context.Process(
            target=_worker,
            args=(self.factory, self.host, self.port, self.log_level, theirs),
            name="shop-api-worker",
        )
        process.start()
        theirs.close()
        ours.setblocking(False)  # a worker whose queue is full is skipped, never waited for
        slot = _Slot(process, ours, time.monotonic())
        self.selector.register(ours, selectors.EVENT_READ, slot)
        return slot

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> None:
        try:
            listener = _listen(self.host, self.port)
        except OSError as exc:
            raise ServeError(f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
        self.port = listener.getsockname()[1]
        listener.setblocking(False)
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.slots = [self._start() for _ in range(self.count)]
            self.selector.register(listener, selectors.EVENT_READ, None)
            self._loop(listener)
        finally:
            listener.close()
            self._stop_workers()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _loop(self, listener: socket.socket) -> None:
        while not self.stopping:
            for key, _ in self.selector.select(timeout=0.02 if self.pending else 0.2):
                if key.data is None:
                    self._accept(listener)
                else:
                    self._read_notices(key.data)
            if self.pending is not None and self._hand(self.pending):
                self.pending.close()
                self.pending = None
                self.selector.register(listener, selectors.EVENT_READ, None)
            self._replace_dead()

    def _accept(self, listener: socket.socket) -> None:
        for _ in range(64):  # then let the workers' notices in
            try:
                connection, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. the client reset it while it waited; too many open files
                return
            if not self._hand(connection):
                self.pending = connection
                self.selector.unregister(listener)
                return
            connection.close()  # the worker holds its own copy now

    def _hand(self, connection: socket.socket) -> bool:
        """Give the connection to the live worker with the fewest open; ties go to the first.
        False when every worker's queue is full; True once handed over, or when no worker is
        alive at all (closing the connection then tells the client at once)."""
        live = sorted((s for s in self.slots if self._alive(s)), key=lambda s: s.open)
        for slot in live:
            try:
                socket.send_fds(slot.channel, [b"x"], [connection.fileno()])
            except (BrokenPipeError, ConnectionResetError):  # it died: replaced in _replace_dead
                self._retire(slot)
                continue
            except OSError:  # its queue is full, or too many descriptors are in flight
                continue
            slot.open += 1
            return True
        return not any(self._alive(s) for s in live)

    @staticmethod
    def _alive(slot: _Slot) -> bool:
        return slot.channel.fileno() != -1 and slot.process.is_alive()

    def _read_notices(self, slot: _Slot) -> None:
        try:
            data = slot.channel.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the worker's end closed: it died
            self._retire(slot)
            return
        slot.open = max(0, slot.open - data.count(CLOSED))

    def _retire(self, slot: _Slot) -> None:
        if slot.channel.fileno() != -1:
            self.selector.unregister(slot.channel)
            slot.channel.close()
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join(5)

    def _replace_dead(self) -> None:
        for i, slot in enumerate(self.slots):
            if self.stopping or self._alive(slot):
                continue
            self._retire(slot)
            if time.monotonic() - slot.started < STARTUP_SECONDS:
                raise ServeError(f"an API worker exited with {slot.process.exitcode} while starting")
            pid, code = slot.process.pid, slot.process.exitcode
            print(f"warning: API worker {pid} exited with {code}; starting another", file=sys.stderr)
            self.slots[i] = self._start()

    def _stop_workers(self) -> None:
        # Closing a worker's channel is its signal to stop: it serves what it holds and exits,
        # whether or not a Ctrl-C reached it too (a second signal would make uvicorn skip its
        # graceful shutdown, so none is sent unless it overstays).
        if self.pending is not None:
            self.pending.close()
        for slot in self.slots:
            slot.channel.close()
        self.selector.close()
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        for slot in self.slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
        for slot in self.slots:
            if slot.process.is_alive():
                slot.process.terminate()
                slot.process.join(5)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
