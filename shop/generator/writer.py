"""Writing output files so that none is ever seen half-written."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO


def write_atomic(target: Path, data: bytes) -> None:
    """Write to a temporary file beside `target`, then rename it over `target`."""
    tmp = stage(target, data)
    os.replace(tmp, target)


def stage(target: Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `target` and return its path (not renamed yet)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with _create(tmp) as handle:
        handle.write(data)
    return tmp


def write_new(target: Path, data: bytes) -> None:
    """Write `data` as `target` directly, in a folder nobody reads until the build is done
    (a fresh site folder, moved into place at the end): a temporary name and a rename
    would only cost two more metadata updates a file."""
    with _create(target) as handle:
        handle.write(data)


def _create(path: Path) -> BinaryIO:
    """`path` opened for writing; its folder is made only when missing (it usually exists:
    one system call, not three)."""
    try:
        return open(path, "wb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "wb")


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
