"""Themes: an override changes only what it overrides; template errors name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from shop.config import Settings
from shop.core.catalog.models import Product
from shop.core.db import make_session_factory, unit_of_work
from shop.generator import render
from shop.generator.manifest import Manifest, manifest_path
from shop.generator.pipeline import build_site
from shop.generator.templating import BuildError
from shop.generator.themes import SHIPPED, new_theme, theme_chain
from tests.generator.conftest import FixtureCatalog

OVERRIDE = """{% extends "default:product.html" %}
{% block product_notes %}
<p class="note">Hand-finished in {{ theme.settings.workshop }}.</p>
{% endblock %}
"""


def files(settings: Settings) -> dict[str, str]:
    m = Manifest.load(manifest_path(settings.dir, settings.output_path, settings.output_path))
    return {name: entry["sha256"] for name, entry in m.files.items()}


def make_theme(settings: Settings, name: str, templates: dict[str, str], toml: str = "") -> Path:
    root = settings.themes_path / name
    (root / "templates").mkdir(parents=True)
    (root / "theme.toml").write_text(toml)
    for relative, text in templates.items():
        (root / "templates" / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / "templates" / relative).write_text(text)
    return root


def test_override_changes_only_what_it_overrides(settings: Settings, catalog: FixtureCatalog) -> None:
    build_site(settings, jobs=1)
    before = files(settings)
    make_theme(settings, "workshop", {"product.html": OVERRIDE}, '[settings]\nworkshop = "Leipzig"\n')
    themed = settings.model_copy(update={"theme": "workshop"})
    build_site(themed, jobs=1)
    after = files(settings)
    changed = {n for n in after if before.get(n) != after[n] and n.endswith(".html")}
    products = {n for n in after if n.startswith("products/")}
    assert changed == products
    tee = (settings.output_path / "products/organic-tee/index.html").read_text()
    assert "Hand-finished in Leipzig." in tee
    assert "data-pagefind-body" in tee and "Organic Tee" in tee  # the rest still comes from default


def test_editing_a_template_rerenders_only_pages_that_used_it(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    root = make_theme(settings, "workshop", {"product.html": OVERRIDE}, '[settings]\nworkshop = "A"\n')
    themed = settings.model_copy(update={"theme": "workshop"})
    first = build_site(themed, jobs=1)
    (root / "templates" / "product.html").write_text(OVERRIDE.replace("Hand-finished", "Sewn"))
    second = build_site(themed, jobs=1)
    assert second.pages_written == 4  # the four active products
    assert second.pages_unchanged == first.pages_written - 4
    # A partial every page includes re-renders every page.
    (root / "templates" / "partials").mkdir()
    nav = (SHIPPED / "default/templates/partials/nav.html").read_text()
    (root / "templates/partials/nav.html").write_text(
        nav.replace('class="site-nav"', 'class="site-nav mine"')
    )
    third = build_site(themed, jobs=1)
    assert third.pages_written == first.pages_written


def test_a_syntax_error_names_file_and_line_and_writes_nothing(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    build_site(settings, jobs=1)
    before = {p: p.stat().st_mtime_ns for p in settings.output_path.rglob("*")}
    root = make_theme(
        settings,
        "broken",
        {
            "listing.html": (
                '{% extends "base.html" %}\n\n{% block content %}\n{% for x in cards %}\n{% endblock %}\n'
            )
        },
    )
    broken = settings.model_copy(update={"theme": "broken"})
    with pytest.raises(BuildError) as caught:
        build_site(broken, jobs=1)
    message = str(caught.value)
    assert str(root / "templates" / "listing.html") in message and ":5:" in message
    assert {p: p.stat().st_mtime_ns for p in settings.output_path.rglob("*")} == before


def test_a_runtime_error_names_file_and_line_and_leaves_no_temporary_files(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    root = make_theme(
        settings,
        "typo",
        {
            "product.html": '{% extends "default:product.html" %}\n'
            "{% block product_notes %}\n<p>{{ product.no_such_field }}</p>\n"
            "{% endblock %}\n"
        },
    )
    typo = settings.model_copy(update={"theme": "typo"})
    with pytest.raises(BuildError) as caught:
        build_site(typo, jobs=1)
    message = str(caught.value)
    assert f"{root / 'templates' / 'product.html'}:3:" in message and "no_such_field" in message
    out = settings.output_path
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]
    assert not (settings.dir / ".shop" / "build-manifest.json").exists()
    # The first build was made in a folder beside the output; it is gone with the failure.
    assert not list(out.parent.glob(f".{out.name}.building-*"))


def test_an_error_after_the_product_pages_leaves_the_last_index_and_no_fresh_one(
    settings: Settings, catalog: FixtureCatalog, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Search shards are indexed while the listings still render: when a listing then
    fails, the fresh indexes are removed and the last build's stays as it was."""
    monkeypatch.setattr(render, "CHUNK", 1)  # the product pages' results come in first
    build_site(settings, jobs=1)
    out = settings.output_path
    before = {p: p.read_bytes() for p in (out / "pagefind").rglob("*") if p.is_file()}
    with unit_of_work(make_session_factory(engine)) as s:
        s.get_one(Product, catalog.mug).title = "Stoneware Jug"  # its search shard changes
    make_theme(settings, "broken", {"listing.html": "{{ no_such_variable }}\n"})
    broken = settings.model_copy(update={"theme": "broken"})
    with pytest.raises(BuildError, match=r"listing\.html:1"):
        build_site(broken, jobs=1)
    after = {p: p.read_bytes() for p in (out / "pagefind").rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in (out / "pagefind").iterdir() if p.name.startswith(".")]
    assert "Stoneware Mug" in (out / "products" / "stoneware-mug" / "index.html").read_text()


def test_theme_chain_and_new_theme(settings: Settings) -> None:
    root = new_theme("autumn", settings.themes_path)
    chain = theme_chain("autumn", settings.themes_path)
    assert [t.name for t in chain] == ["autumn", "default"]
    assert chain[-1].root == SHIPPED / "default"
    assert sorted(p.name for p in (root / "templates").iterdir()) == ["product.html"]
    assert 'parent = "default"' in (root / "theme.toml").read_text()
