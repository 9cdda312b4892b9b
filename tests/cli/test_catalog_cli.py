"""`shop import` and `shop export` through the real Typer app, against a committed database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from shop.cli import app
from shop.core.catalog.models import Product, Variant
from shop.core.db import make_engine, make_session_factory
from tests.cli.test_cli import store  # noqa: F401 - the fixture: a store dir on db_url
from tests.core.catalog.catalog_dump import DATA
from tests.core.catalog.test_image_fetch import ImageHost, image_host  # noqa: F401 - fixture

runner = CliRunner()


@pytest.fixture
def here(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """Run in the store's folder, with the fixtures copied in under short names."""
    monkeypatch.chdir(store)
    shutil.copy(DATA / "shopify_products.csv", store / "products.csv")
    shutil.copy(DATA / "bad_products.csv", store / "bad.csv")
    return store


def catalog_counts(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            return (
                session.scalar(select(func.count(Product.id))) or 0,
                session.scalar(select(func.count(Variant.id))) or 0,
            )
    finally:
        engine.dispose()


def test_import_commits_and_prints_a_summary(here: Path, db_url: str) -> None:
    result = runner.invoke(app, ["import", "products.csv"])
    assert result.exit_code == 0, result.output
    assert "products.csv: 4 products created, 0 updated, 0 unchanged; 9 variants created" in result.stdout
    assert "6 image URLs kept without downloading them" in result.stdout
    assert catalog_counts(db_url) == (4, 9)


def test_reimport_with_json_summary(here: Path) -> None:
    runner.invoke(app, ["import", "products.csv"])
    result = runner.invoke(app, ["import", "products.csv", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {
        k: summary[k]
        for k in (
            "products_created",
            "products_updated",
            "variants_created",
            "variants_updated",
            "skipped",
            "errors",
        )
    } == {
        "products_created": 0,
        "products_updated": 0,
        "variants_created": 0,
        "variants_updated": 0,
        "skipped": 4,
        "errors": [],
    }


def test_dry_run_leaves_the_database_alone(here: Path, db_url: str) -> None:
    result = runner.invoke(app, ["import", "products.csv", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run, nothing changed; would have: 4 products created" in result.stdout
    assert catalog_counts(db_url) == (0, 0)


def test_bad_rows_one_line_each_then_exit_1(here: Path, db_url: str) -> None:
    result = runner.invoke(app, ["import", "bad.csv"])
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[0] == 'bad.csv:3: Variant Price: "12,5x" is not a price'
    assert 'bad.csv:11: Handle: "Bad Handle!" is not a handle (letters, digits and single hyphens)' in errors
    assert len(errors) == 11
    assert result.stdout.strip() == "bad.csv: 10 bad rows, 11 errors; nothing imported"
    assert catalog_counts(db_url) == (0, 0)


def test_bad_rows_in_json(here: Path) -> None:
    result = runner.invoke(app, ["import", "bad.csv", "--json"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["errors"][0] == {"row": 3, "column": "Variant Price", "message": '"12,5x" is not a price'}
    assert summary["imported"] is False and summary["products_created"] == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "error: missing.csv: no such file"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "error: photo.csv: the file is not UTF-8 text"),
        ("orders.csv", b"order,total\n1001,12.00\n", "error: orders.csv: no Handle column"),
    ],
)
def test_a_file_that_cannot_be_imported_is_one_clear_line(
    here: Path, name: str, content: bytes | None, message: str
) -> None:
    if content is not None:
        (here / name).write_bytes(content)
    result = runner.invoke(app, ["import", name])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(message)


def test_fetching_from_loopback_is_refused(here: Path, image_host: ImageHost, db_url: str) -> None:  # noqa: F811
    (here / "cap.csv").write_text(
        "Handle,Title,Variant SKU,Variant Price,Image Src\n"
        f"cap,Cap,CAP-1,12.00,{image_host.url('/tee.png')}\n"
    )
    result = runner.invoke(app, ["import", "cap.csv", "--fetch-images"])
    assert result.exit_code == 1
    assert result.stderr.startswith("cap.csv:2: Image Src: ")
    assert "127.0.0.1, a loopback address" in result.stderr
    assert image_host.hits == [] and catalog_counts(db_url) == (0, 0)


def test_export_to_a_file_and_to_stdout_then_reimport(here: Path) -> None:
    assert runner.invoke(app, ["import", "products.csv"]).exit_code == 0
    to_file = runner.invoke(app, ["export", "export.csv"])
    assert to_file.exit_code == 0, to_file.output
    assert "Exported 4 products, 9 variants (11 rows) to export.csv" in to_file.stderr
    to_stdout = runner.invoke(app, ["export", "-"])
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout == (here / "export.csv").read_text(encoding="utf-8")
    assert not [p for p in here.iterdir() if p.name.endswith(".tmp")]

    again = runner.invoke(app, ["import", "export.csv", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["skipped"] == 4


def test_export_into_a_missing_folder_fails_cleanly(here: Path) -> None:
    result = runner.invoke(app, ["export", "nowhere/out.csv"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: nowhere/out.csv: the folder nowhere does not exist")


def test_a_real_process_imports_and_exports(here: Path, db_url: str) -> None:
    # A fresh interpreter imports only what the commands import: listeners and mappers
    # they rely on must be loaded by them, not by the test suite.
    env = {**os.environ, "SHOP_DIR": str(here), "SHOP_DATABASE_URL": db_url}
    imported = subprocess.run(
        [sys.executable, "-m", "shop.cli", "import", "products.csv", "--json"],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["variants_created"] == 9
    exported = subprocess.run(
        [sys.executable, "-m", "shop.cli", "export", "-"],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("Handle,Title,Body (HTML)") and "PRINT-A3" in exported.stdout


def test_help_lists_import_and_export() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "import" in result.output and "export" in result.output
    usage = runner.invoke(app, ["import", "--help"])
    assert all(option in usage.output for option in ("--dry-run", "--json", "--fetch-images"))
