"""Fetching an image URL named in an import file, without letting the file aim us inward.

A product CSV is untrusted input: its URLs could point at the admin, a cloud metadata
service or a database on the private network. So only http(s) is fetched; the host is
resolved here and every address it resolves to must be public; the connection goes to
that checked address (so a second DNS answer cannot swap it); redirects are followed by
hand, each hop checked the same way; and time and size are capped.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 3


class FetchRefused(Exception):
    """The URL was not fetched; the message says why."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(f"cannot resolve {host} ({exc})") from None
    return sorted({str(info[4][0]) for info in infos})


def address_kind(ip: IPAddress) -> str | None:
    """Why `ip` must not be fetched from, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if flag:
            return kind
    return None if ip.is_global else "non-public"


def is_public_address(ip: IPAddress) -> bool:
    return address_kind(ip) is None


@dataclass(frozen=True)
class ImageFetcher:
    """`resolve` and `allow` are parameters so tests can serve images from 127.0.0.1;
    the defaults (system DNS, public addresses only) are what imports use."""

    timeout: float = TIMEOUT_SECONDS
    max_bytes: int = MAX_IMAGE_BYTES
    max_redirects: int = MAX_REDIRECTS
    resolve: Resolver = system_resolver
    allow: Callable[[IPAddress], bool] = is_public_address

    def fetch(self, url: str) -> bytes:
        deadline = time.monotonic() + self.timeout
        with httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False) as client:
            for _hop in range(self.max_redirects + 1):
                request = self._pinned_request(client, url)
                try:
                    response = client.send(request, stream=True)
                except httpx.HTTPError as exc:
                    raise FetchRefused(f"could not download it ({type(exc).__name__}: {exc})") from None
                try:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise FetchRefused(f"the server answered HTTP {response.status_code}")
                    return self._body(response, deadline)
                finally:
                    response.close()
        raise FetchRefused(f"more than {self.max_redirects} redirects")

    def _pinned_request(self, client: httpx.Client, url: str) -> httpx.Request:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise FetchRefused(f"only http(s) URLs are fetched, not {url!r}")
        host = parts.hostname
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise FetchRefused(f"{url!r} has an invalid port") from None
        addresses = self.resolve(host, port)
        if not addresses:
            raise FetchRefused(f"{host} has no address")
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not self.allow(ip):
                raise FetchRefused(
                    f"{host} resolves to {ip}, a {address_kind(ip) or 'disallowed'} address; "
                    "only public addresses are fetched"
                )
        pinned = addresses[0].split("%", 1)[0]
        literal = f"[{pinned}]" if ":" in pinned else pinned
        target = urlunsplit((scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
        host_header = parts.netloc.rsplit("@", 1)[-1]
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        return client.build_request(
            "GET", target, headers={"Host": host_header, "Accept": "image/*"}, extensions=extensions
        )

    def _body(self, response: httpx.Response, deadline: float) -> bytes:
        too_big = f"the image is larger than {_size(self.max_bytes)}"
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise FetchRefused(too_big)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchRefused(too_big)
                if time.monotonic() > deadline:
                    raise FetchRefused(f"the download took longer than {self.timeout:g} s")
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise FetchRefused(f"could not download it ({type(exc).__name__}: {exc})") from None
        return b"".join(chunks)


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
