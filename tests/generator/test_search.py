"""The search index: Pagefind is given each page's search document, never less than it reads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from shop.config import Settings
from shop.generator import search
from shop.generator.pipeline import build_site
from tests.generator.conftest import FixtureCatalog


def _index(site: Path, into: Path) -> dict[str, bytes]:
    subprocess.run(
        [str(search.executable()), "--site", str(site), "--output-path", str(into), "--silent"],
        check=True,
        capture_output=True,
    )
    return {p.relative_to(into).as_posix(): p.read_bytes() for p in into.rglob("*") if p.is_file()}


def test_the_index_of_the_search_documents_equals_the_index_of_the_full_pages(
    settings: Settings, catalog: FixtureCatalog, tmp_path: Path
) -> None:
    build_site(settings, jobs=1)
    out = settings.output_path
    full, documents = tmp_path / "full", tmp_path / "documents"
    for page in out.glob("products/*/index.html"):
        relative = page.relative_to(out)
        (full / relative).parent.mkdir(parents=True)
        shutil.copyfile(page, full / relative)
        (documents / relative).parent.mkdir(parents=True)
        document = search.search_document(page.read_bytes())
        assert len(document) < page.stat().st_size / 2  # the header, nav and footer are left out
        (documents / relative).write_bytes(document)
    from_pages = _index(full, tmp_path / "index-full")
    assert any(name.startswith("fragment/") for name in from_pages)
    assert _index(documents, tmp_path / "index-documents") == from_pages
    # And the build's own index is that one too.
    built = {
        p.relative_to(out / "pagefind" / "0").as_posix(): p.read_bytes()
        for p in (out / "pagefind" / "0").rglob("*")
        if p.is_file()
    }
    assert built == from_pages


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
