"""`shop build`, `shop theme new|list` through the real command line."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shop.cli import app
from shop.config import Settings, get_settings
from tests.generator.conftest import FixtureCatalog

runner = CliRunner()


@pytest.fixture
def store(settings: Settings, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("SHOP_") and name != "SHOP_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("SHOP_DIR", str(settings.dir))
    monkeypatch.setenv("SHOP_DATABASE_URL", db_url)
    monkeypatch.setenv("SHOP_SITE_URL", "http://shop.test")
    get_settings.cache_clear()
    yield settings.dir
    get_settings.cache_clear()


def test_build_json_summary_then_no_op(store: Path, catalog: FixtureCatalog) -> None:
    first = runner.invoke(app, ["build", "--json", "--jobs", "1"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert {
        "pages_written",
        "pages_unchanged",
        "pages_deleted",
        "images_written",
        "images_reused",
        "seconds",
    } <= set(summary)
    assert summary["pages_written"] > 0 and summary["images_written"] == 2
    second = json.loads(runner.invoke(app, ["build", "--json"]).output)
    assert second["pages_written"] == 0 and second["pages_unchanged"] == summary["pages_written"]
    text = runner.invoke(app, ["build", "--full", "--out", str(store / "elsewhere")])
    assert text.exit_code == 0
    assert text.output.startswith(f"Built {store / 'elsewhere'}: ") and "pages written" in text.output


def test_build_template_error_exits_non_zero_naming_file_and_line(
    store: Path, catalog: FixtureCatalog
) -> None:
    templates = store / "themes" / "bad" / "templates"
    templates.mkdir(parents=True)
    (templates / "home.html").write_text(
        '{% extends "base.html" %}\n{% block content %}\n{{ 1 + }}\n{% endblock %}\n'
    )
    result = runner.invoke(app, ["build"], env={"SHOP_THEME": "bad"})
    assert result.exit_code == 1
    assert f"error: {templates / 'home.html'}:3:" in result.output
    assert not (store / "public" / "index.html").exists()


def test_build_without_tables_says_to_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_DIR", str(tmp_path))
    monkeypatch.setenv("SHOP_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["build"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1 and "shop db upgrade" in result.output


def test_theme_new_and_list(store: Path) -> None:
    made = runner.invoke(app, ["theme", "new", "autumn"])
    assert made.exit_code == 0, made.output
    assert (store / "themes/autumn/templates/product.html").exists()
    again = runner.invoke(app, ["theme", "new", "autumn"])
    assert again.exit_code == 1 and "already exists" in again.output
    listing = runner.invoke(app, ["theme", "list"]).output.splitlines()
    assert any(line.split()[:2] == ["autumn", "store"] for line in listing)
    assert any(line.startswith("* default") for line in listing)
    bad = runner.invoke(app, ["theme", "new", "../escape"])
    assert bad.exit_code == 1 and "theme name" in bad.output
