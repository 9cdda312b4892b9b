"""Import a Shopify product CSV: all of it in one transaction, or nothing.

`import_products` is what the admin calls: it reads the whole file first (csv_read),
fetches images when asked, then applies the catalog inside a savepoint (csv_apply). Any
bad row, or `dry_run`, rolls the savepoint back, so the caller's transaction is left
exactly as it was; the caller (the edge) commits. `prepare_import` + `apply_import` are
the same in two steps, so that slow downloads need not happen inside the write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core import models as _all_models  # noqa: F401  (every mapper, for foreign keys)
from shop.core.audit.models import AuditLog
from shop.core.bulk import gc_paused
from shop.core.catalog import csv_format as f
from shop.core.catalog.csv_apply import Applier, Counts
from shop.core.catalog.csv_read import FileRejected, ParsedFile, RowError, Source, read_products
from shop.core.catalog.image_fetch import FetchRefused, ImageFetcher
from shop.core.catalog.images import ImageRejected, StoredImage, store_image
from shop.core.catalog.models import ProductImage
from shop.core.notifications.services import SITE_REBUILD, enqueue

__all__ = [
    "FileRejected",
    "ImportResult",
    "PreparedImport",
    "RowError",
    "apply_import",
    "import_products",
    "prepare_import",
]


@dataclass
class ImportResult(Counts):
    dry_run: bool = False
    imported: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        """Plain JSON-able data: what `shop import --json` prints and the admin shows."""
        data = asdict(self)
        data["errors"] = [error.as_dict() for error in self.errors]
        return data


@dataclass
class PreparedImport:
    """A file read and checked on its own, with its images downloaded when asked."""

    parsed: ParsedFile
    stored: dict[str, StoredImage] = field(default_factory=dict)  # image URL -> stored file
    errors: list[RowError] = field(default_factory=list)


def import_products(
    session: Session,
    source: Source,
    *,
    currency: str,
    actor: str = "system",
    actor_id: int | None = None,
    dry_run: bool = False,
    fetch_images: bool = False,
    media_dir: Path | None = None,
    fetcher: ImageFetcher | None = None,
    media_base_url: str | None = None,
    filename: str = "",
) -> ImportResult:
    """Import `source` (bytes, text or a text/binary stream). Raises FileRejected when the
    file is not a product CSV at all; every row-level problem is in `result.errors`.

    With `fetch_images` this downloads inside the caller's transaction; on SQLite, whose
    writers take the lock up front, an edge that fetches many images should call
    `prepare_import` with a read-only session first and then `apply_import`."""
    prepared = prepare_import(
        session,
        source,
        currency=currency,
        fetch_images=fetch_images and not dry_run,
        media_dir=media_dir,
        fetcher=fetcher,
    )
    return apply_import(
        session,
        prepared,
        actor=actor,
        actor_id=actor_id,
        dry_run=dry_run,
        media_base_url=media_base_url,
        filename=filename,
    )


def prepare_import(
    session: Session | None,
    source: Source,
    *,
    currency: str,
    fetch_images: bool = False,
    media_dir: Path | None = None,
    fetcher: ImageFetcher | None = None,
) -> PreparedImport:
    """Read and check the file; with `fetch_images`, download each image URL once (skipping
    those already stored from the same URL, when a session is given to look them up).
    Only reads the database, and writes nothing but content-addressed media files."""
    with gc_paused():
        parsed = read_products(source, currency=currency)
    prepared = PreparedImport(parsed=parsed, errors=list(parsed.errors))
    if fetch_images and not prepared.errors:
        if media_dir is None:
            raise ValueError("fetch_images needs the media folder")
        known = _stored_urls(session, parsed) if session is not None else set()
        prepared.stored, prepared.errors = _fetch(parsed, known, fetcher or ImageFetcher(), media_dir)
    return prepared


def apply_import(
    session: Session,
    prepared: PreparedImport,
    *,
    actor: str = "system",
    actor_id: int | None = None,
    dry_run: bool = False,
    media_base_url: str | None = None,
    filename: str = "",
) -> ImportResult:
    """Apply a prepared file in a savepoint: kept when every row is good (and not a dry
    run), rolled back otherwise. The caller commits."""
    parsed = prepared.parsed
    result = ImportResult(dry_run=dry_run, ignored_columns=parsed.ignored_columns, rows=parsed.rows)
    if prepared.errors:
        result.errors = prepared.errors
        return result
    savepoint = session.begin_nested()
    try:
        with gc_paused():
            counts = Applier(
                session, parsed, actor=actor, fetched=prepared.stored, media_base_url=media_base_url
            ).run()
    except BaseException:
        savepoint.rollback()
        raise
    if counts.errors or dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    _fill(result, counts)
    if result.errors:
        _zero(result)
        return result
    result.imported = not dry_run
    if result.imported:
        session.add(
            AuditLog(
                actor=actor,
                actor_id=actor_id,
                action="import_products",
                object_type="product",
                object_id=None,
                changes={"file": filename, **_audit_summary(result)},
            )
        )
        if result.products_created or result.products_updated:
            enqueue(session, SITE_REBUILD, {"reason": "product import", "file": filename})
        session.flush()
    return result


def _fill(result: ImportResult, counts: Counts) -> None:
    for item in fields(Counts):
        setattr(result, item.name, getattr(counts, item.name))
    result.errors = sorted(counts.errors, key=lambda e: (e.row, e.column))


def _zero(result: ImportResult) -> None:
    # Nothing was imported, so no count may suggest otherwise.
    for name, value in vars(Counts()).items():
        if name != "errors":
            setattr(result, name, value)


def _audit_summary(result: ImportResult) -> dict[str, Any]:
    keys = (
        "products_created",
        "products_updated",
        "variants_created",
        "variants_updated",
        "skipped",
        "images_fetched",
        "rows",
    )
    data = {key: getattr(result, key) for key in keys}
    data["images_kept"] = len(result.images_kept)
    data["variants_not_in_file"] = result.variants_not_in_file[:100]
    return data


def _image_urls(parsed: ParsedFile) -> Iterable[tuple[str, int, str]]:
    for product in parsed.products:
        for image in product.images:
            yield image.url, image.row, f.IMAGE_SRC
        for variant in product.variants:
            if variant.image_url:
                yield variant.image_url, variant.row, f.VARIANT_IMAGE


def _stored_urls(session: Session, parsed: ParsedFile) -> set[str]:
    urls = list(dict.fromkeys(url for url, _, _ in _image_urls(parsed)))
    have: set[str] = set()
    for start in range(0, len(urls), 500):
        have.update(
            url
            for url in session.scalars(
                select(ProductImage.source_url).where(
                    ProductImage.source_url.in_(urls[start : start + 500]), ProductImage.file.is_not(None)
                )
            )
            if url is not None
        )
    return have


def _fetch(
    parsed: ParsedFile, known: set[str], fetcher: ImageFetcher, media_dir: Path
) -> tuple[dict[str, StoredImage], list[RowError]]:
    """Download each image URL once, skipping those already stored from the same URL."""
    wanted: dict[str, tuple[int, str]] = {}
    for url, row, column in _image_urls(parsed):
        wanted.setdefault(url, (row, column))
    stored: dict[str, StoredImage] = {}
    errors: list[RowError] = []
    for url, (row, column) in wanted.items():
        if url in known:
            continue
        try:
            stored[url] = store_image(fetcher.fetch(url), media_dir, field=column)
        except (FetchRefused, ImageRejected) as exc:
            reason = exc.detail if isinstance(exc, ImageRejected) else str(exc)
            errors.append(RowError(row, column, f'"{url}" was not fetched: {reason}'))
    return stored, errors
