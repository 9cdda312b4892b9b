"""What a published file is to a browser and a CDN: its Content-Type and Cache-Control.

A file whose name carries a content hash never changes under that name, so browsers and
the CDN may keep it for a year. Anything reached by a stable URL (pages, the sitemap,
feeds, the search index entry point, unhashed assets) must be revalidated quickly, or
shoppers would see yesterday's prices.
"""

from __future__ import annotations

import mimetypes
import re
from enum import StrEnum
from posixpath import basename, splitext

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=60, must-revalidate"

# Matched against the path relative to the site. Either a file-name segment of 7 to 64 hex
# digits holding both a digit and a letter (`img/chair-0c1d2e3f4a-640.webp`, Pagefind's
# `en_78f38d9.pf_fragment`, derived images named by their SHA-256) - requiring both keeps
# a numeric SKU or a word like "facade" from counting as a hash - or the generator's theme
# assets, `assets/<name>.<10 hex digits>.<ext>`, whose hash may happen to be all digits.
DEFAULT_FINGERPRINT = (
    r"(?:^|[/._-])(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}(?=[._-][^/]*$|$)"
    r"|^assets/(?:[^/]+/)*[^/]+\.[0-9a-f]{10}\.[a-z0-9]+$"
)

_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".map": "application/json",
    ".wasm": "application/wasm",
    # Pagefind's index chunks are compressed by Pagefind itself and decoded in its JS.
    ".pagefind": "application/octet-stream",
    ".pf_fragment": "application/octet-stream",
    ".pf_index": "application/octet-stream",
    ".pf_meta": "application/octet-stream",
    ".pf_filter": "application/octet-stream",
}
_TEXT_TYPES = {
    "application/json",
    "application/manifest+json",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "image/svg+xml",
    "text/javascript",
}
_INDEX_SUFFIXES = {".xml", ".rss", ".atom", ".txt"}


class Kind(StrEnum):
    """Where a file goes in the publish order (see plan.py)."""

    ASSET = "asset"  # css, js, fonts, images, search index chunks: referenced by pages
    PAGE = "page"  # html
    INDEX = "index"  # sitemap, feeds, robots.txt, the search index entry point: point at pages


def kind_of(path: str) -> Kind:
    name = basename(path)
    suffix = splitext(name)[1].lower()
    if suffix in (".html", ".htm"):
        return Kind.PAGE
    if suffix in _INDEX_SUFFIXES or name in ("pagefind-entry.json", "feed.json"):
        return Kind.INDEX
    if name.startswith("search") and suffix == ".json":
        return Kind.INDEX
    return Kind.ASSET


def content_type(path: str) -> str:
    suffix = splitext(path)[1].lower()
    mime = _TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    if mime.startswith("text/") or mime in _TEXT_TYPES:
        return f"{mime}; charset=utf-8"
    return mime


class CachePolicy:
    """Decides Cache-Control from the path; the fingerprint pattern is configurable."""

    def __init__(self, fingerprint: str | None = None) -> None:
        self.fingerprint = re.compile(fingerprint or DEFAULT_FINGERPRINT)

    def is_fingerprinted(self, path: str) -> bool:
        return bool(self.fingerprint.search(path))

    def cache_control(self, path: str) -> str:
        if kind_of(path) is not Kind.ASSET:
            return REVALIDATE
        return IMMUTABLE if self.is_fingerprinted(path) else REVALIDATE

    def headers(self, path: str) -> dict[str, str]:
        return {"content_type": content_type(path), "cache_control": self.cache_control(path)}
