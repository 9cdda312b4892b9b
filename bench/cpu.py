"""Who spent the CPU during a benchmark scenario: the server, PostgreSQL, the load generator.

On a small shared machine requests/s alone says little (another process's burst lowers
every figure); CPU seconds per request, split by process group, say where a request's cost
goes and stay comparable between runs. Linux only: read from /proc; elsewhere nothing is
reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Groups:
    server_session: int | None  # the uvicorn supervisor's session id (live_server starts a new one)
    database: str  # PostgreSQL backends serving this database name
    generator: int  # this process


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (session id, command line, CPU seconds)."""
    found: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        # After "(comm)": state ppid pgrp session ... utime(12th) stime(13th)
        found[int(entry.name)] = (int(fields[3]), cmdline, (int(fields[11]) + int(fields[12])) / _TICK)
    return found


def server_session(port: int) -> int | None:
    """The session id of the server listening on `port` (`shop serve`'s or uvicorn's
    supervisor, whose workers share its session)."""
    needle = f"--port {port} "
    for session, cmdline, _ in _processes().values():
        if ("uvicorn" in cmdline or " serve " in cmdline) and needle in cmdline + " ":
            return session
    return None


def _group(groups: Groups, pid: int, session: int, cmdline: str) -> str:
    if pid == groups.generator:
        return "generator"
    if groups.server_session is not None and session == groups.server_session:
        return "server"
    # Backends serving the benchmark's connections; autovacuum on its tables is "other"
    # (it runs when it likes, e.g. right after the carts are made).
    if cmdline.startswith("postgres:") and f" {groups.database} " in cmdline and "autovacuum" not in cmdline:
        return "postgres"
    return "other"


class CpuMeter:
    """CPU seconds per group between `start()` and `stop()`, and the machine's idle time."""

    def __init__(self, groups: Groups) -> None:
        self.groups = groups
        self.enabled = Path("/proc/stat").exists()
        self._before: dict[int, tuple[int, str, float]] = {}
        self._idle = 0.0

    @staticmethod
    def _idle_seconds() -> float:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return (int(fields[4]) + int(fields[5])) / _TICK  # idle + iowait, all cores

    def start(self) -> None:
        if self.enabled:
            self._before = _processes()
            self._idle = self._idle_seconds()

    def stop(self) -> dict[str, float]:
        if not self.enabled:
            return {}
        after = _processes()
        spent: dict[str, float] = {"server": 0.0, "postgres": 0.0, "generator": 0.0, "other": 0.0}
        for pid, (session, cmdline, seconds) in after.items():
            before = self._before.get(pid)
            used = seconds - (before[2] if before and before[1] == cmdline else 0.0)
            spent[_group(self.groups, pid, session, cmdline)] += max(0.0, used)
        spent["idle"] = self._idle_seconds() - self._idle
        return spent
