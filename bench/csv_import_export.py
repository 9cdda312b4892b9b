"""How long a Shopify product CSV takes to import, re-import and export.

    .venv/bin/python bench/csv_import_export.py [--products 5000] [--url postgresql+psycopg://...]

Builds a CSV of N products (2 options, 4 variants, 2 images each), imports it into a fresh
database (SQLite file by default), imports it again (nothing changes), changes every price
and imports once more, then exports. Prints seconds and rows per second for each step.
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shop.core.catalog import csv_format as f
from shop.core.catalog.csv_export import export_products
from shop.core.catalog.csv_import import import_products
from shop.core.db import make_engine, make_session_factory, unit_of_work
from shop.core.models import Base


def build_csv(products: int, price: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=f.EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for n in range(products):
        handle = f"bench-product-{n:06d}"
        for i, (colour, size) in enumerate([("Black", "S"), ("Black", "M"), ("White", "S"), ("White", "M")]):
            row = {
                f.HANDLE: handle,
                f.OPTION_VALUES[0]: colour,
                f.OPTION_VALUES[1]: size,
                f.SKU: f"B{n:06d}-{colour[0]}{size}",
                f.PRICE: price,
                f.GRAMS: "200",
                f.QTY: str(10 + i),
                f.POLICY: "deny",
            }
            if i == 0:
                row.update(
                    {
                        f.TITLE: f"Bench product {n}",
                        f.BODY: "<p>Soft <b>cotton</b>.</p>",
                        f.VENDOR: "Bench",
                        f.TYPE: "Shirts",
                        f.TAGS: "bench, cotton",
                        f.PUBLISHED: "TRUE",
                        f.STATUS: "active",
                        f.OPTION_NAMES[0]: "Color",
                        f.OPTION_NAMES[1]: "Size",
                    }
                )
            if i < 2:
                row.update(
                    {f.IMAGE_SRC: f"https://cdn.example/{handle}/{i}.jpg", f.IMAGE_POSITION: str(i + 1)}
                )
            writer.writerow(row)
    return out.getvalue()


def timed(label: str, rows: int, action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"{label:<28} {seconds:7.2f} s  {rows / seconds:9.0f} rows/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite:///{tmp.name}/bench.db"
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    text = build_csv(args.products, "24.00")
    rows = text.count("\n") - 1
    print(f"{args.products} products, {rows} rows, {len(text) / 1e6:.1f} MB, on {url.split(':')[0]}")

    def run(data: str):  # type: ignore[no-untyped-def]
        with unit_of_work(factory) as session:
            result = import_products(session, data, currency="EUR", actor="bench")
        if result.errors:
            raise SystemExit(f"unexpected errors: {result.errors[:3]}")
        return result

    timed("import (all new)", rows, lambda: run(text))
    again = timed("re-import (unchanged)", rows, lambda: run(text))
    print(f"{'':<28} skipped {again.skipped} products")
    changed = build_csv(args.products, "25.00")
    updated = timed("re-import (every price)", rows, lambda: run(changed))
    print(f"{'':<28} updated {updated.variants_updated} variants")

    def export() -> str:
        out = io.StringIO()
        with make_session_factory(engine, read_only=True)() as session:
            export_products(session, out, currency="EUR", media_base_url="https://shop.example/media")
        return out.getvalue()

    exported = timed("export", rows, export)
    print(f"{'':<28} {exported.count(chr(10)) - 1} rows written")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (whole run)      {peak:7.0f} MB")
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
