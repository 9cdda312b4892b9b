"""Content-Type and Cache-Control by file name."""

from __future__ import annotations

import pytest

from shop.generator.publish.headers import (
    IMMUTABLE,
    REVALIDATE,
    CachePolicy,
    Kind,
    content_type,
    kind_of,
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("assets/app.1a2b3c4d.css", "text/css; charset=utf-8"),
        ("assets/app.1a2b3c4d.js", "text/javascript; charset=utf-8"),
        ("sitemap.xml", "application/xml; charset=utf-8"),
        ("feed.json", "application/json; charset=utf-8"),
        ("logo.svg", "image/svg+xml; charset=utf-8"),
        ("images/chair-0c1d2e3f4a-640.webp", "image/webp"),
        ("images/x.avif", "image/avif"),
        ("images/x.JPG", "image/jpeg"),
        ("fonts/inter.woff2", "font/woff2"),
        ("pagefind/fragment/en_78f38d9.pf_fragment", "application/octet-stream"),
        ("pagefind/wasm.en.pagefind", "application/octet-stream"),
        ("download.unknownext", "application/octet-stream"),
    ],
)
def test_content_type(path: str, expected: str) -> None:
    assert content_type(path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("assets/app.3f2a9c1b.css", IMMUTABLE),
        ("assets/site.1234567890.css", IMMUTABLE),  # the generator's asset names
        ("assets/js/shop.3f2a9c1b7d.js", IMMUTABLE),
        (
            "images/ab/ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12-640.webp",
            IMMUTABLE,
        ),
        ("images/0123456789abcdef/photo.jpg", REVALIDATE),  # a hash in a folder name is not enough
        ("images/chair-0c1d2e3f4a-640.webp", IMMUTABLE),
        ("images/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg", IMMUTABLE),
        ("pagefind/fragment/en_78f38d9.pf_fragment", IMMUTABLE),
        ("pagefind/pagefind.unknown_af15e031f7726ba.pf_meta", IMMUTABLE),
        ("pagefind/pagefind.js", REVALIDATE),
        ("pagefind/pagefind-entry.json", REVALIDATE),
        ("pagefind/wasm.unknown.pagefind", REVALIDATE),
        ("assets/favicon.ico", REVALIDATE),
        ("images/sku-12345678.jpg", REVALIDATE),  # digits alone are a SKU, not a hash
        ("images/facade-d3adb33f.jpg", IMMUTABLE),
        ("images/facade-deadbeef.jpg", REVALIDATE),  # letters alone may be a word
        ("products/3f2a9c1b/index.html", REVALIDATE),  # pages never, whatever their name
        ("feed.3f2a9c1b.xml", REVALIDATE),
    ],
)
def test_cache_control(path: str, expected: str) -> None:
    assert CachePolicy().cache_control(path) == expected


def test_the_fingerprint_pattern_is_configurable() -> None:
    policy = CachePolicy(r"\.v\d+\.")
    assert policy.cache_control("assets/app.v12.css") == IMMUTABLE
    assert policy.cache_control("assets/app.3f2a9c1b.css") == REVALIDATE


def test_kinds_order_the_publish() -> None:
    assert kind_of("a/index.html") is Kind.PAGE
    assert kind_of("sitemap.xml") is Kind.INDEX and kind_of("robots.txt") is Kind.INDEX
    assert kind_of("pagefind/pagefind-entry.json") is Kind.INDEX
    assert kind_of("pagefind/index/en_1a2b3c4.pf_index") is Kind.ASSET
    assert kind_of("assets/app.css") is Kind.ASSET


def test_a_bad_pattern_setting_is_refused_with_its_name() -> None:
    from pydantic import ValidationError

    from shop.config import Settings

    with pytest.raises(ValidationError, match="not a valid regular expression"):
        Settings(publish_fingerprint_pattern="([0-9a-f")
