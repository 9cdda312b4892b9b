"""`shop serve` with several workers: the supervisor deals each connection to the worker
holding the fewest, a dead worker is replaced, a taken port is one clear error, and stopping
the supervisor stops its workers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from shop.server import STARTUP_SECONDS, Supervisor, _Slot, balanced
from tests.live_server import free_port, live_server

pytestmark = pytest.mark.skipif(
    not balanced(), reason="handing connections to workers needs POSIX fd passing"
)
# These find the workers, their sockets and connections in /proc.
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")


def _supervisor(port: int) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        args = _cmdline(int(entry.name)).split(b"\0")
        if b"serve" in args and str(port).encode() in args:
            return int(entry.name)
    raise AssertionError(f"no `shop serve` on port {port}")


def _workers(supervisor: int) -> list[int]:
    """The worker processes (not multiprocessing's resource tracker, also a child)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return sorted(int(pid) for pid in children if b"spawn_main" in _cmdline(int(pid)))


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone since it was listed
        return b""


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _tcp(port: int) -> list[tuple[str, str, str]]:
    """(local port, state, inode) of every IPv4 TCP socket on `port`, local side."""
    rows = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port:
            rows.append((fields[2], fields[3], fields[9]))
    return rows


LISTEN, ESTABLISHED = "0A", "01"


def _per_worker(port: int, workers: list[int]) -> list[int]:
    accepted = {inode for _, state, inode in _tcp(port) if state == ESTABLISHED}
    return [len(_socket_inodes(pid) & accepted) for pid in workers]


def _connect(port: int) -> socket.socket:
    """A keep-alive connection that has had one answer (so a worker holds it)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: test\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
    return sock


def _server_inode(port: int, client: socket.socket) -> str:
    """The inode of the server's end of `client`'s connection."""
    client_port = client.getsockname()[1]
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port:
            return fields[9]
    raise AssertionError(f"no server socket for client port {client_port}")


@linux_only
def test_connections_are_dealt_evenly_and_follow_closes(tmp_path: Path, db_url: str) -> None:
    with live_server(database_url=db_url, store_dir=tmp_path, workers=2) as base:
        port = int(urlsplit(base).port or 0)
        supervisor = _supervisor(port)
        workers = _workers(supervisor)
        assert len(workers) == 2
        listening = {inode for _, state, inode in _tcp(port) if state == LISTEN}
        # One listening socket, the supervisor's; the workers hold none.
        assert len(listening) == 1 and listening <= _socket_inodes(supervisor)
        assert all(not (_socket_inodes(pid) & listening) for pid in workers)

        clients = [_connect(port) for _ in range(16)]  # one after another, as a pool opens them
        try:
            # Exactly even: a kernel hash (SO_REUSEPORT) or a shared socket splits 16 unevenly
            # far more often than not.
            assert _per_worker(port, workers) == [8, 8]
            # Close six of the first worker's: the next six connections must all go to it,
            # since it now holds the fewest.
            first = _socket_inodes(workers[0])
            for client in [c for c in clients if _server_inode(port, c) in first][:6]:
                clients.remove(client)
                client.close()
            deadline = time.monotonic() + 10
            while _per_worker(port, workers) != [2, 8] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _per_worker(port, workers) == [2, 8]
            time.sleep(0.5)  # the workers' notices of the closes reach the supervisor
            clients += [_connect(port) for _ in range(6)]
            assert _per_worker(port, workers) == [8, 8]
        finally:
            for client in clients:
                client.close()


@linux_only
def test_a_worker_that_dies_is_replaced(tmp_path: Path, db_url: str) -> None:
    with live_server(database_url=db_url, store_dir=tmp_path, workers=2) as base:
        supervisor = _supervisor(int(urlsplit(base).port or 0))
        before = _workers(supervisor)
        time.sleep(STARTUP_SECONDS + 0.5)  # past the start-up window, where a death stops all
        os.kill(before[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _workers(supervisor)
            if len(now) == 2 and before[0] not in now:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"workers {before} -> {_workers(supervisor)}")
        # The new worker serves: every connection is answered, whichever worker it goes to.
        for _ in range(8):
            with httpx.Client(base_url=base, timeout=30) as client:
                assert client.get("/api/v1/health").status_code == 200


def test_a_taken_port_is_one_clear_error(tmp_path: Path, db_url: str) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = subprocess.run(
            [sys.executable, "-m", "shop.cli", "serve", "--port", str(port), "--workers", "2"],
            env={**os.environ, "SHOP_DIR": str(tmp_path), "SHOP_DATABASE_URL": db_url},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].startswith(f"error: cannot listen on 127.0.0.1:{port}")


@linux_only
def test_stopping_the_supervisor_alone_stops_its_workers(tmp_path: Path, db_url: str) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "shop.cli", "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, "SHOP_DIR": str(tmp_path), "SHOP_DATABASE_URL": db_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "shop serve did not answer"
            time.sleep(0.1)
        workers = _workers(server.pid)
        assert len(workers) == 2
        server.send_signal(signal.SIGTERM)  # the supervisor only, as `kill PID` does
        assert server.wait(timeout=30) == 0
        assert not any(_cmdline(pid) for pid in workers)  # no worker left behind
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


class _Running:
    """Stands in for a worker process that is alive (the test reads its channel itself)."""

    pid = 0
    exitcode = None

    def is_alive(self) -> bool:
        return True

    def join(self, _timeout: float | None = None) -> None:
        pass


def test_a_worker_with_a_full_queue_is_skipped_not_killed() -> None:
    supervisor = Supervisor("shop.api.asgi:create_app", host="127.0.0.1", port=0, workers=2, log_level="info")
    channels = [socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(2)]
    for ours, _ in channels:
        ours.setblocking(False)
    supervisor.slots = [_Slot(_Running(), ours, time.monotonic()) for ours, _ in channels]  # type: ignore[arg-type]
    with socket.socket() as listener, socket.socket() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client.connect(listener.getsockname())
        connection, _ = listener.accept()
        with connection:
            handed = [0, 0]
            while supervisor._hand(connection):  # nobody reads: both queues fill up
                handed = [slot.open for slot in supervisor.slots]
                assert sum(handed) < 100_000
            # Dealt evenly while there was room, then refused without retiring anyone.
            assert abs(handed[0] - handed[1]) <= 1 and sum(handed) > 2
            assert all(slot.channel.fileno() != -1 for slot in supervisor.slots)
            # The second worker reads what it was sent: it has room again and gets the next one.
            theirs = channels[1][1]
            theirs.setblocking(False)
            received = 0
            with contextlib.suppress(BlockingIOError):
                while True:
                    _, fds, _, _ = socket.recv_fds(theirs, 64, 64)
                    for fd in fds:
                        os.close(fd)
                    received += len(fds)
            assert received == supervisor.slots[1].open
            before = supervisor.slots[1].open
            assert supervisor._hand(connection)
            assert supervisor.slots[1].open == before + 1
    for ours, theirs in channels:
        ours.close()
        theirs.close()
