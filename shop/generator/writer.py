"""Writing output files so that none is ever seen half-written."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def write_atomic(target: Path, data: bytes) -> None:
    """Write to a temporary file beside `target`, then rename it over `target`."""
    tmp = stage(target, data)
    os.replace(tmp, target)


def stage(target: Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `target` and return its path (not renamed yet)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        handle = open(tmp, "wb")  # noqa: SIM115 - the folder usually exists: one syscall, not three
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = open(tmp, "wb")  # noqa: SIM115
    with handle:
        handle.write(data)
    return tmp


def write_new(target: Path, data: bytes) -> None:
    """Write `data` as `target` directly, in a folder nobody reads until the build is done
    (a fresh site folder, moved into place at the end): a temporary name and a rename
    would only cost two more metadata updates a file."""
    try:
        handle = open(target, "wb")  # noqa: SIM115 - the folder usually exists: one syscall, not three
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = open(target, "wb")  # noqa: SIM115
    with handle:
        handle.write(data)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def prune_empty_dirs(root: Path, start: Path) -> None:
    """Remove `start` and its parents up to (not including) `root` while they are empty."""
    current = start
    while current != root and root in current.parents:
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent
