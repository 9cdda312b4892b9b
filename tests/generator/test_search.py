"""The search index: Pagefind is given each page's search document, never less than it reads."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from shop.config import Settings
from shop.core.db import make_session_factory, unit_of_work
from shop.core.reviews.models import Review, ReviewStatus
from shop.generator import search
from shop.generator.pipeline import build_site
from tests.generator.conftest import FixtureCatalog


def _records(site: Path, into: Path) -> dict[str, dict[str, Any]]:
    """Index `site` with Pagefind; every indexed page's record (its fragment: text, word
    count, filters, metadata and anchors), by the URL a search result links to (the `url`
    metadata where a page has it, else the page's own URL)."""
    subprocess.run(
        [str(search.executable()), "--site", str(site), "--output-path", str(into), "--silent"],
        check=True,
        capture_output=True,
    )
    return _fragments(into)


def _fragments(index: Path) -> dict[str, dict[str, Any]]:
    records = {}
    for fragment in (index / "fragment").iterdir():
        data = gzip.decompress(fragment.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        record = json.loads(data[len(b"pagefind_dcd") :])
        own = record.pop("url")
        records[record["meta"].pop("url", own)] = record
    return records


def test_the_index_of_the_search_documents_equals_the_index_of_the_full_pages(
    settings: Settings, catalog: FixtureCatalog, tmp_path: Path
) -> None:
    build_site(settings, jobs=1)
    out = settings.output_path
    full, documents = tmp_path / "full", tmp_path / "documents"
    documents.mkdir()
    for page in out.glob("products/*/index.html"):
        relative = page.relative_to(out)
        (full / relative).parent.mkdir(parents=True)
        shutil.copyfile(page, full / relative)
        document = search.search_document(page.read_bytes())
        assert len(document) < page.stat().st_size / 2  # the header, nav and footer are left out
        url = "/" + relative.parent.as_posix() + "/"
        staged = search.staged_document(page.read_bytes(), url)
        (documents / search.document_name(relative.as_posix())).write_bytes(staged)
    from_pages = _records(full, tmp_path / "index-full")
    assert len(from_pages) == len(list(out.glob("products/*/index.html"))) > 1
    assert all(record["word_count"] > 5 for record in from_pages.values())
    # Flat, hash-named documents with the URL as metadata index to the same records.
    assert _records(documents, tmp_path / "index-documents") == from_pages
    # And the build's own index holds those records too.
    assert _fragments(out / "pagefind" / "0") == from_pages


def test_a_staged_document_names_its_page_url_for_the_search_page() -> None:
    page = b"<html><body><main data-pagefind-body><h1>Cap</h1></main></body></html>"
    staged = search.staged_document(page, '/products/a"b/')
    assert staged.endswith(
        b'<span hidden data-pagefind-meta="url:/products/a&quot;b/"></span>\n</body>\n</html>\n'
    )
    assert search.document_name("products/cap/index.html").endswith(".html")
    assert search.document_name("products/cap/index.html") != search.document_name("products/cup/index.html")


def test_a_search_document_keeps_the_language_title_and_body_without_ignored_elements() -> None:
    page = (
        b'<!doctype html><html lang="de"><head><title>Kappe</title><link rel="stylesheet" href="x.css">'
        b'</head><body><nav>Menu</nav><main id="main" data-pagefind-body><h1>Kappe</h1>'
        b'<div data-pagefind-ignore="all"><div>inner</div><p>related</p></div>'
        b'<div data-pagefind-ignore><span data-pagefind-meta="price">9</span></div>'
        b"<p>Text</p></main><footer>Foot</footer></body></html>"
    )
    document = search.search_document(page)
    assert document.startswith(b'<!doctype html>\n<html lang="de">\n<head><title>Kappe</title></head>')
    assert b"Menu" not in document and b"Foot" not in document and b"x.css" not in document
    assert b"inner" not in document and b"related" not in document  # nested <div>s removed whole
    assert b'data-pagefind-meta="price"' in document  # Pagefind still reads meta in a plain ignore
    assert b"<p>Text</p></main>" in document


def test_a_page_talking_to_pagefind_outside_its_body_is_given_whole() -> None:
    two_bodies = b"<html><body><main data-pagefind-body>a</main><div data-pagefind-body>b</div></body></html>"
    assert search.search_document(two_bodies) == two_bodies
    filter_outside = (
        b'<html><body><span data-pagefind-filter="brand">X</span>'
        b"<main data-pagefind-body>a</main></body></html>"
    )
    assert search.search_document(filter_outside) == filter_outside
    no_body = b"<html><body><main>a</main></body></html>"
    assert search.search_document(no_body) == no_body
    unclosed = b"<html><body><main data-pagefind-body>a</body></html>"
    assert search.search_document(unclosed) == unclosed


def test_reviews_rating_and_availability_show_on_the_product_page_but_are_not_searched(
    settings: Settings, catalog: FixtureCatalog, engine: Engine
) -> None:
    with unit_of_work(make_session_factory(engine)) as s:
        s.add(
            Review(
                product_id=catalog.mug,
                author_name="Ann",
                email="ann@example.com",
                rating=2,
                title="Chipped",
                body="Arrived with a zigzag crack",
                status=ReviewStatus.APPROVED,
                created_at=datetime(2026, 1, 2, tzinfo=UTC),
                updated_at=datetime(2026, 1, 2, tzinfo=UTC),
            )
        )
    build_site(settings, jobs=1)
    out = settings.output_path
    page = (out / "products" / "stoneware-mug" / "index.html").read_text()
    assert "zigzag crack" in page and "out of 5" in page and "Sold out" in page
    records = _fragments(out / "pagefind" / "0")
    mug = records["/products/stoneware-mug/"]["content"]
    assert "Stoneware Mug" in mug and "stoneware mug" in mug  # its title and description
    words = " ".join(record["content"] for record in records.values())
    assert "zigzag" not in words and "Chipped" not in words and "Reviewer" not in words
    # Words every product shares would make every product match them.
    assert "out of 5" not in words and "In stock" not in words and "Sold out" not in words


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="CPU affinity needs Linux and two CPUs",
)
def test_pagefind_is_started_on_one_cpu_and_the_thread_gets_its_cpus_back() -> None:
    before = os.sched_getaffinity(0)
    child = [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"]
    with search._on_one_cpu(3):
        seen = subprocess.run(child, capture_output=True, text=True, check=True).stdout
    assert seen.strip() == str([sorted(before)[3 % len(before)]])
    assert os.sched_getaffinity(0) == before


def _fail(*args: object, **kwargs: object) -> None:
    raise AssertionError("an unchanged search document was written again")


def test_an_unchanged_search_document_is_touched_not_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "doc.html"
    target.write_bytes(b"<html>same</html>")
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    monkeypatch.setattr(search, "write_new", _fail)
    monkeypatch.setattr(search, "stage_file", _fail)
    for in_place in (True, False):
        search.stage_document(target, b"<html>same</html>", in_place=in_place)
        assert target.read_bytes() == b"<html>same</html>"
        assert target.stat().st_mtime_ns > 1_000_000_000  # newer than the page again
        os.utime(target, ns=(1_000_000_000, 1_000_000_000))


@pytest.mark.parametrize("in_place", [True, False])
def test_a_changed_search_document_is_written_in_place_only_when_asked(
    tmp_path: Path, in_place: bool
) -> None:
    target = tmp_path / "doc.html"
    target.write_bytes(b"<html>old</html>")
    inode = target.stat().st_ino
    search.stage_document(target, b"<html>new</html>", in_place=in_place)
    assert target.read_bytes() == b"<html>new</html>"
    assert (target.stat().st_ino == inode) is in_place  # else a new file renamed over it
    assert [p.name for p in tmp_path.iterdir()] == ["doc.html"]
    search.stage_document(tmp_path / "missing.html", b"<html>made</html>", in_place=in_place)
    assert (tmp_path / "missing.html").read_bytes() == b"<html>made</html>"


def test_only_the_shard_indexed_last_runs_on_every_cpu(
    settings: Settings, catalog: FixtureCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build may wait for the last shard once its pages are rendered; the others run
    while pages still render, each on one CPU."""
    monkeypatch.setattr(search, "SHARD_PAGES", 1)  # four products, several shards
    calls: list[tuple[int, bool]] = []
    make_shard = search.make_shard

    def recording(*args: Any, pinned: bool = True) -> Any:
        calls.append((args[1], pinned))
        return make_shard(*args, pinned=pinned)

    monkeypatch.setattr(search, "make_shard", recording)
    build_site(settings, jobs=1)
    assert len(calls) > 1
    assert [pinned for _, pinned in calls] == [True] * (len(calls) - 1) + [False]
