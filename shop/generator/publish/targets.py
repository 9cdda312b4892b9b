"""Where a site is published: an S3 bucket (AWS, MinIO, R2) or a local folder.

A target speaks in keys relative to the site's root (`products/chair/index.html`); it maps
them onto the bucket prefix or the folder. Both kinds offer the same few operations, so
the plan, ordering and rollback are written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse


class TargetError(Exception):
    """The target cannot be reached or refused an operation; the message names it."""


@dataclass(frozen=True, slots=True)
class Headers:
    content_type: str
    cache_control: str


class Target(Protocol):
    url: str

    def read(self, key: str) -> bytes | None:
        """The object's bytes, or None when it does not exist."""

    def write(self, key: str, data: bytes, headers: Headers) -> None: ...

    def upload(self, key: str, path: Path, headers: Headers, sha256: str) -> None: ...

    def copy(self, source: str, key: str, headers: Headers, sha256: str) -> None:
        """Copy an object within the target, replacing its headers."""

    def exists(self, key: str) -> bool: ...

    def delete(self, keys: list[str]) -> None:
        """Remove the keys; a key that is already gone is not an error."""

    def create(self, key: str, data: bytes, headers: Headers) -> bool:
        """Write the key only if it does not exist yet, atomically; False when it did."""

    def keys(self, prefix: str) -> list[str]:
        """Every key under `prefix` (relative to the target), in no particular order."""


@dataclass(frozen=True, slots=True)
class TargetOptions:
    endpoint_url: str | None = None
    region: str | None = None
    jobs: int = 16


def open_target(url: str, options: TargetOptions) -> Target:
    """`s3://BUCKET/PREFIX` or `file:///PATH`."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise TargetError(f"{url}: name the bucket, as in s3://BUCKET/PREFIX")
        from shop.generator.publish.s3 import S3Target

        return S3Target(parsed.netloc, parsed.path.strip("/"), options)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise TargetError(f"{url}: a file target is a local path, as in file:///srv/site")
        from shop.generator.publish.local import LocalTarget

        return LocalTarget(Path(unquote(parsed.path)))
    raise TargetError(f"{url}: a publish target is s3://BUCKET/PREFIX or file:///PATH")
