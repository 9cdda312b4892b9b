"""Image URLs from an import are fetched only from public addresses, with limits.

A real HTTP server on 127.0.0.1 stands in for an image host. The default fetcher must
refuse it (loopback); the positive tests inject a resolver and an allow-list, which
only tests do.
"""

from __future__ import annotations

import io
import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core.catalog.csv_import import import_products
from shop.core.catalog.image_fetch import FetchRefused, ImageFetcher, address_kind
from shop.core.catalog.models import Product, ProductImage


def png_bytes(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 8), colour).save(out, format="PNG")
    return out.getvalue()


class ImageHost:
    def __init__(self) -> None:
        self.hits: list[tuple[str, str]] = []  # (path, Host header)
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.hits.append((self.path, self.headers.get("Host", "")))
                if self.path.startswith("/hop"):
                    self.send_response(302)
                    self.send_header("Location", self.path.split("to=", 1)[1])
                    self.end_headers()
                    return
                body = {
                    "/tee.png": png_bytes(),
                    "/big.png": b"x" * 50_000,
                    "/notes.txt": b"not a picture",
                }.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def image_host() -> Iterator[ImageHost]:
    host = ImageHost()
    host.thread.start()
    yield host
    host.server.shutdown()
    host.server.server_close()


def to_loopback(host: str, port: int) -> list[str]:
    """Test resolver: names resolve to 127.0.0.1, literal addresses to themselves."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return ["127.0.0.1"]


def loopback_only(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_loopback


TEST_FETCHER = ImageFetcher(resolve=to_loopback, allow=loopback_only)


def test_the_default_fetcher_refuses_a_real_server_on_loopback(image_host: ImageHost) -> None:
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.1, a loopback address"):
        ImageFetcher().fetch(image_host.url("/tee.png"))
    assert image_host.hits == []  # refused before connecting


@pytest.mark.parametrize(
    ("addresses", "kind"),
    [
        (["10.1.2.3"], "private"),
        (["192.168.0.10"], "private"),
        (["169.254.169.254"], "link-local"),  # cloud metadata services live here
        (["::1"], "loopback"),
        (["::ffff:127.0.0.1"], "loopback"),
        (["fe80::1"], "link-local"),
        (["240.0.0.1"], "reserved"),
        (["0.0.0.0"], "unspecified"),
        (["93.184.215.14", "127.0.0.1"], "loopback"),  # every address must be public
    ],
)
def test_names_resolving_inward_are_refused(addresses: list[str], kind: str) -> None:
    fetcher = ImageFetcher(resolve=lambda host, port: addresses)
    with pytest.raises(FetchRefused, match=f"a {kind} address"):
        fetcher.fetch("https://images.example.com/a.jpg")


def test_public_addresses_are_public() -> None:
    assert address_kind(ipaddress.ip_address("93.184.215.14")) is None
    assert address_kind(ipaddress.ip_address("2606:4700::6810:84e5")) is None


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/a.jpg", "gopher://x/", "http:///a"])
def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(FetchRefused, match="only http"):
        TEST_FETCHER.fetch(url)


def test_fetches_through_the_checked_address_with_the_original_host(image_host: ImageHost) -> None:
    data = TEST_FETCHER.fetch(image_host.url("/tee.png", host="images.test"))
    assert data == png_bytes()
    assert image_host.hits == [("/tee.png", f"images.test:{image_host.port}")]


def test_redirects_are_checked_hop_by_hop(image_host: ImageHost) -> None:
    inward = image_host.url("/hop?to=http://10.0.0.7/secret")
    with pytest.raises(FetchRefused, match=r"10\.0\.0\.7, a private address"):
        TEST_FETCHER.fetch(inward)
    allowed = image_host.url(f"/hop?to={image_host.url('/tee.png')}")
    assert TEST_FETCHER.fetch(allowed) == png_bytes()


def test_size_and_status_limits(image_host: ImageHost) -> None:
    small = ImageFetcher(resolve=to_loopback, allow=loopback_only, max_bytes=10_000)
    with pytest.raises(FetchRefused, match="larger than"):
        small.fetch(image_host.url("/big.png"))
    with pytest.raises(FetchRefused, match="HTTP 404"):
        TEST_FETCHER.fetch(image_host.url("/missing.png"))


def csv_with_image(url: str) -> str:
    return (
        f"Handle,Title,Variant SKU,Variant Price,Image Src,Image Alt Text\ncap,Cap,CAP-1,12.00,{url},A cap\n"
    )


def test_import_refuses_loopback_images_and_imports_nothing(
    session: Session, image_host: ImageHost, tmp_path: Path
) -> None:
    result = import_products(
        session,
        csv_with_image(image_host.url("/tee.png")),
        currency="EUR",
        fetch_images=True,
        media_dir=tmp_path / "media",
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "Image Src")]
    assert "loopback" in result.errors[0].message
    assert session.scalars(select(Product)).first() is None
    assert image_host.hits == []


def test_import_fetches_and_stores_images_once(
    session: Session, image_host: ImageHost, tmp_path: Path
) -> None:
    data = csv_with_image(image_host.url("/tee.png", host="images.test"))
    result = import_products(
        session, data, currency="EUR", fetch_images=True, media_dir=tmp_path / "media", fetcher=TEST_FETCHER
    )
    assert result.ok, result.errors
    assert (result.images_fetched, result.images_kept) == (1, [])
    image = session.scalars(select(ProductImage)).one()
    assert image.file and (tmp_path / "media" / image.file).is_file()
    assert (image.width, image.height, image.alt) == (12, 8, "A cap")
    assert image.source_url == image_host.url("/tee.png", host="images.test")

    again = import_products(
        session, data, currency="EUR", fetch_images=True, media_dir=tmp_path / "media", fetcher=TEST_FETCHER
    )
    assert again.ok and again.images_fetched == 0 and again.skipped == 1
    assert len(image_host.hits) == 1  # already stored from that URL: not downloaded again


def test_a_url_that_is_no_image_is_a_row_error(
    session: Session, image_host: ImageHost, tmp_path: Path
) -> None:
    result = import_products(
        session,
        csv_with_image(image_host.url("/notes.txt")),
        currency="EUR",
        fetch_images=True,
        media_dir=tmp_path / "media",
        fetcher=TEST_FETCHER,
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "Image Src")]
    assert "not an image" in result.errors[0].message
    assert not (tmp_path / "media").exists()


def test_without_fetching_urls_are_kept_and_reported(session: Session, image_host: ImageHost) -> None:
    url = image_host.url("/tee.png")
    result = import_products(session, csv_with_image(url), currency="EUR")
    assert result.ok and result.images_kept == [url] and result.images_fetched == 0
    image = session.scalars(select(ProductImage)).one()
    assert (image.source_url, image.file) == (url, None)
    assert image_host.hits == []
