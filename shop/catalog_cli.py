"""`shop import` and `shop export`: the catalog in and out as a Shopify product CSV."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

# Commands import shop.cli's helpers when they run: shop.cli imports this module first.
catalog_app = typer.Typer()

if TYPE_CHECKING:
    from shop.config import Settings
    from shop.core.catalog.csv_export import ExportResult
    from shop.core.catalog.csv_import import ImportResult, PreparedImport


@catalog_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A product CSV in Shopify's format.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything, change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    fetch_images: Annotated[
        bool, typer.Option("--fetch-images", help="Download image URLs (public http(s) only).")
    ] = False,
) -> None:
    """Import products: create new ones, update those whose handle or SKU exists.

    The whole file is imported in one transaction; if any row is bad, nothing is.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from shop.cli import _database_hint, fail, load_settings, unit_of_work
    from shop.core.catalog.csv_export import media_base_url
    from shop.core.catalog.csv_import import FileRejected, apply_import

    settings = load_settings()
    if not file.exists():
        fail(f"{file}: no such file")
    if file.is_dir():
        fail(f"{file}: is a folder, not a CSV file")
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror})")
    try:
        # Downloads happen before the write transaction: on SQLite it would hold the lock.
        prepared = _prepare(settings, data, fetch=fetch_images and not dry_run)
        with unit_of_work(settings) as session:
            result = apply_import(
                session,
                prepared,
                actor="cli",
                dry_run=dry_run,
                media_base_url=media_base_url(settings),
                filename=file.name,
            )
    except FileRejected as exc:
        fail(f"{file}: {exc.detail}")
    except SQLAlchemyError as exc:
        fail(_database_hint(exc))
    for error in result.errors:
        typer.echo(f"{file}:{error.row}: {error.column}: {error.message}", err=True)
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=2))
    else:
        for line in _summary_lines(str(file), result):
            typer.echo(line)
    if result.errors:
        raise typer.Exit(1)


def _prepare(settings: Settings, data: bytes, *, fetch: bool) -> PreparedImport:
    from shop.core.catalog.csv_import import prepare_import
    from shop.core.db import make_engine, make_session_factory

    if not fetch:
        return prepare_import(None, data, currency=settings.currency)
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_session_factory(engine, read_only=True)() as session:
            return prepare_import(
                session, data, currency=settings.currency, fetch_images=True, media_dir=settings.media_path
            )
    finally:
        engine.dispose()


def _summary_lines(name: str, result: ImportResult) -> list[str]:
    if result.errors:
        bad = len({error.row for error in result.errors})
        return [
            f"{name}: {bad} bad row{'s' if bad != 1 else ''}, "
            f"{len(result.errors)} error{'s' if len(result.errors) != 1 else ''}; nothing imported"
        ]
    counts = (
        f"{result.products_created} products created, {result.products_updated} updated, "
        f"{result.skipped} unchanged; {result.variants_created} variants created, "
        f"{result.variants_updated} updated"
    )
    lines = [
        f"{name}: dry run, nothing changed; would have: {counts}" if result.dry_run else f"{name}: {counts}"
    ]
    if result.images_fetched:
        lines.append(f"{result.images_fetched} images downloaded")
    if result.images_kept:
        lines.append(
            f"{len(result.images_kept)} image URLs kept without downloading them "
            "(--fetch-images downloads them)"
        )
    if result.variants_not_in_file:
        shown = ", ".join(result.variants_not_in_file[:10])
        more = len(result.variants_not_in_file) - 10
        lines.append(
            f"{len(result.variants_not_in_file)} variants not in the file were left alone: "
            f"{shown}{f' and {more} more' if more > 0 else ''}"
        )
    if result.ignored_columns:
        lines.append(f"columns ignored: {', '.join(result.ignored_columns)}")
    return lines


@catalog_app.command("export")
def export_command(
    file: Annotated[str, typer.Argument(help="Where to write the CSV, or - for standard output.")],
) -> None:
    """Export every product as a Shopify product CSV (re-importable as it is)."""
    from sqlalchemy.exc import SQLAlchemyError

    from shop.cli import _database_hint, fail, load_settings
    from shop.core.catalog.csv_export import export_products, media_base_url
    from shop.core.db import make_engine, make_session_factory

    settings = load_settings()
    target = None if file == "-" else Path(file)
    if target is not None and not target.parent.is_dir():
        fail(f"{file}: the folder {target.parent} does not exist")
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_session_factory(engine, read_only=True)() as session:
            if target is None:
                result = export_products(
                    session, sys.stdout, currency=settings.currency, media_base_url=media_base_url(settings)
                )
            else:
                result = _export_atomic(
                    target,
                    lambda out: export_products(
                        session, out, currency=settings.currency, media_base_url=media_base_url(settings)
                    ),
                )
    except SQLAlchemyError as exc:
        fail(_database_hint(exc))
    except OSError as exc:
        fail(f"{file}: cannot be written ({exc.strerror})")
    finally:
        engine.dispose()
    typer.echo(
        f"Exported {result.products} products, {result.variants} variants ({result.rows} rows) to {file}",
        err=True,
    )


def _export_atomic(target: Path, write: Callable[[IO[str]], ExportResult]) -> ExportResult:
    # A half-written export must never replace a good one.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            result = write(out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result
