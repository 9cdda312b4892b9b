"""A folder on this machine as the publish target, for any static host (nginx, Caddy, Pages).

Every write lands in a temporary file in the same folder and is renamed into place, so a
reader never sees half a file; a static host serves headers by its own rules, so the
headers a publish decides are not stored.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from shop.generator.publish.targets import Headers, TargetError


class LocalTarget:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.url = self.root.as_uri()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise TargetError(f"{key}: outside the target folder {self.root}")
        return path

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes, headers: Headers) -> None:
        self._atomic(key, lambda handle: handle.write(data))

    def upload(self, key: str, path: Path, headers: Headers, sha256: str) -> None:
        with path.open("rb") as source:
            self._atomic(key, lambda handle: shutil.copyfileobj(source, handle))

    def copy(self, source: str, key: str, headers: Headers, sha256: str) -> None:
        try:
            with self._path(source).open("rb") as handle_in:
                self._atomic(key, lambda handle: shutil.copyfileobj(handle_in, handle))
        except FileNotFoundError as exc:
            raise TargetError(f"{self.url}/{source}: missing") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            path = self._path(key)
            path.unlink(missing_ok=True)
            self._prune(path.parent)

    def create(self, key: str, data: bytes, headers: Headers) -> bool:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: link() fails if the name exists, so of two
        # runs only one creates the key, and a reader never sees it half written.
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".publish-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.link(temp, path)
        except FileExistsError:
            return False
        finally:
            Path(temp).unlink(missing_ok=True)
        return True

    def keys(self, prefix: str) -> list[str]:
        folder = self._path(prefix.rsplit("/", 1)[0]) if "/" in prefix else self.root
        if not folder.is_dir():
            return []
        found = (path.relative_to(self.root).as_posix() for path in folder.rglob("*") if path.is_file())
        return [key for key in found if key.startswith(prefix) and not key.rsplit("/", 1)[-1].startswith(".")]

    def _prune(self, folder: Path) -> None:
        # A deleted product leaves no empty folder behind (a host would list it).
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def _atomic(self, key: str, fill: Callable[[BinaryIO], object]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".publish-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                fill(handle)
            os.chmod(temp, 0o644)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
