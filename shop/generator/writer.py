"""Writing output files so that none is ever seen half-written."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def write_atomic(target: Path, data: bytes) -> None:
    """Write to a temporary file beside `target`, then rename it over `target`."""
    tmp = stage(target, data)
    os.replace(tmp, target)


def replace_if_changed(target: Path, data: bytes) -> bool:
    """`write_atomic` unless `target` already holds `data`; returns whether it wrote. Replacing
    a file frees the old one's blocks, which a file system mounted with `discard` and no
    journal (seen here) discards there and then, stalling every writer of the disk."""
    if read_existing(target) == data:
        return False
    write_atomic(target, data)
    return True


def read_existing(path: Path | str) -> bytes | None:
    """The bytes of `path`, or None when there is no such file; through a raw descriptor (5
    against 9 µs for a search document), as it runs for every page a build renders."""
    try:
        fd = os.open(path, _READ)
    except FileNotFoundError:
        return None
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def stage(target: Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `target` and return its path (not renamed yet)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _write(str(tmp), data)
    return tmp


def write_new(target: Path, data: bytes) -> None:
    """Write `data` as `target` directly, in a folder nobody reads until the build is done
    (a fresh site folder, moved into place at the end): a temporary name and a rename
    would only cost two more metadata updates a file."""
    _write(str(target), data)


def write_new_page(target: Path, data: bytes) -> None:
    """`write_new` for a page in a fresh site folder, where each page's folder (its pretty
    URL, `products/<slug>/index.html`) is still missing: the folder is made first, instead
    of after a failed open and a check of its parent (15 µs less a page, measured)."""
    path = str(target)
    try:
        os.mkdir(os.path.dirname(path))
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)  # another worker may make it too
    _write(path, data)


# Raw descriptors: Python's buffered file objects cost three more system calls a file (to
# size their buffer, ask whether it is a terminal and find their position) and a few
# objects, about a fifth of writing a page and its search document.
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _write(path: str, data: bytes) -> None:
    """Write `data` to `path`; its folder is made only when missing (it usually exists: one
    system call, not three)."""
    try:
        fd = os.open(path, _WRITE, 0o666)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, _WRITE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path | str) -> tuple[str, int]:
    """The sha256 and size of a file, read through a raw descriptor (a buffered file object
    and a separate stat cost four times as much for the small files of a search index)."""
    digest = hashlib.sha256()
    size = 0
    fd = os.open(path, _READ)
    try:
        while block := os.read(fd, 1 << 20):
            digest.update(block)
            size += len(block)
    finally:
        os.close(fd)
    return digest.hexdigest(), size


def prune_empty_dirs(root: Path, start: Path) -> None:
    """Remove `start` and its parents up to (not including) `root` while they are empty."""
    current = start
    while current != root and root in current.parents:
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent
