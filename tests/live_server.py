"""A real `shop serve` with several worker processes, for race tests and the benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    *,
    database_url: str,
    store_dir: Path,
    workers: int = 2,
    env: dict[str, str] | None = None,
    startup_timeout: float = 30.0,
) -> Iterator[str]:
    """Serve the API from `workers` processes of `shop serve`; yields the base URL (no trailing slash)."""
    port = free_port()
    environment = {
        **os.environ,
        "SHOP_DIR": str(store_dir),
        "SHOP_ENV": "test",
        "SHOP_DATABASE_URL": database_url,
        "SHOP_SECRET_KEY": "live-server-secret-key-0123456789-abcdefgh",
        # Every request comes from 127.0.0.1 here; per-client limits would measure themselves.
        "SHOP_RATE_LIMITS": "{}",
        "SHOP_SITE_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    log = (store_dir / f"uvicorn-{port}.log").open("wb")
    # `shop serve`, as a deployment runs it: a supervisor that deals connections to one uvicorn
    # per worker process.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shop.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"shop serve exited with {process.returncode}: "
                    f"{(store_dir / f'uvicorn-{port}.log').read_text()[-2000:]}"
                )
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("shop serve did not answer /api/v1/health in time")
            time.sleep(0.1)
        yield base
    finally:
        # The whole process group: the supervisor and its workers.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
