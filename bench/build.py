# ruff: noqa: E501, RUF001 - Hugo templates are embedded verbatim
"""Benchmark `shop build` against Hugo on the same synthetic catalog.

    .venv/bin/python bench/build.py                  # 1,000 and 10,000 products
    .venv/bin/python bench/build.py --sizes 1000 10000 50000 --images

For each size: a synthetic catalog (3 variants per product, 60 categories in two levels,
stock, one approved review per two products, two featured collections; images optional)
in a fresh SQLite store under bench/out/; then, each build in its own process:
full build (seconds, pages/s, peak memory), a no-op rebuild, and a rebuild after editing
one product. The full build is everything `shop build --full` does, the Pagefind index
included. Peak memory is sampled from outside every 0.1 s over the build's whole process
tree (the build, its forked render workers, Pagefind): the PSS sum is what the tree
really occupies (a page shared copy-on-write by the workers counts once); the RSS sum
(shared pages counted in every process) and the peak RSS of the main process and of its
largest child are printed beside it. The same catalog is then written
as Hugo content with templates of equivalent content (base layout with the category nav,
product page with JSON-LD and breadcrumb, paginated category listings, sitemap) and built
with Hugo (Debian's `hugo`, installed with apt-get if missing).

The machine may be shared: figures are wall-clock and vary with its load (printed). CPU
seconds (user + system, the whole process tree) are printed beside them, for ours and for
Hugo's, since they vary much less with what else runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
TOPS = 10
CHILDREN = 5
SIZES = ("S", "M", "L")


# -- the catalog ------------------------------------------------------------------------


def make_store(n: int, *, images: bool) -> Path:
    from sqlalchemy import insert

    from shop.core.catalog.models import (
        Category,
        Collection,
        CollectionProduct,
        Product,
        ProductImage,
        ProductOption,
        ProductOptionValue,
        Variant,
        product_categories,
        variant_option_values,
    )
    from shop.core.db import make_engine
    from shop.core.inventory.models import Location, StockLevel
    from shop.core.models import Base
    from shop.core.reviews.models import Review
    from shop.core.shipping.models import ShippingMethod

    store = OUT / f"store-{n}{'-img' if images else ''}"
    shutil.rmtree(store, ignore_errors=True)
    (store / "themes").mkdir(parents=True)
    engine = make_engine(f"sqlite:///{store / 'shop.db'}")
    Base.metadata.create_all(engine)
    rng = random.Random(n)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    words = [
        "Alpine",
        "Coastal",
        "Urban",
        "Classic",
        "Organic",
        "Vintage",
        "Midnight",
        "Sunrise",
        "Nordic",
        "Linen",
        "Wool",
        "Cedar",
        "Slate",
        "Amber",
        "Ivory",
        "Canvas",
        "Harbor",
        "Meadow",
        "Ember",
        "Willow",
    ]
    kinds = [
        "Shirt",
        "Hoodie",
        "Cap",
        "Mug",
        "Poster",
        "Candle",
        "Bag",
        "Notebook",
        "Scarf",
        "Lamp",
    ]
    with engine.begin() as c:
        c.execute(
            insert(Location),
            [
                {
                    "id": 1,
                    "name": "Warehouse",
                    "code": "WH",
                    "active": True,
                    "priority": 0,
                    "address": "",
                }
            ],
        )
        c.execute(
            insert(ShippingMethod),
            [
                {
                    "name": "Standard",
                    "code": "std",
                    "price": 490,
                    "free_over": 5000,
                    "countries": "",
                    "active": True,
                    "position": 0,
                    "delivery_estimate": "3-5 days",
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        cats = []
        for t in range(TOPS):
            cats.append(
                {
                    "id": t + 1,
                    "parent_id": None,
                    "name": f"Department {t + 1}",
                    "slug": f"department-{t + 1}",
                    "position": t,
                }
            )
        leaves = []
        for t in range(TOPS):
            for k in range(CHILDREN):
                cid = TOPS + t * CHILDREN + k + 1
                leaves.append(cid)
                cats.append(
                    {
                        "id": cid,
                        "parent_id": t + 1,
                        "name": f"{kinds[k]}s {t + 1}",
                        "slug": f"{kinds[k].lower()}s-{t + 1}",
                        "position": k,
                    }
                )
        c.execute(
            insert(Category),
            [
                {
                    **x,
                    "description": "",
                    "seo_title": "",
                    "seo_description": "",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for x in cats
            ],
        )
        products, variants, links, options, values, vov, stock, reviews, imgs = ([] for _ in range(9))
        vid = ovid = 0
        for i in range(1, n + 1):
            title = f"{rng.choice(words)} {rng.choice(words)} {kinds[i % len(kinds)]} {i}"
            products.append(
                {
                    "id": i,
                    "title": title,
                    "slug": f"product-{i}",
                    "status": "active",
                    "description": f"<p>{title} made from {rng.choice(words).lower()} materials. "
                    + " ".join(rng.choice(words).lower() for _ in range(40))
                    + ".</p>",
                    "vendor": "Bench Goods",
                    "product_type": kinds[i % len(kinds)],
                    "tags": "bench, synthetic",
                    "seo_title": "",
                    "seo_description": "",
                    "published_at": now - timedelta(minutes=i),
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            links.append({"product_id": i, "category_id": leaves[i % len(leaves)]})
            oid = i  # one option (Size) per product
            options.append({"id": oid, "product_id": i, "name": "Size", "position": 1})
            price = 1000 + (i * 37) % 9000
            for pos, size in enumerate(SIZES, start=1):
                ovid += 1
                vid += 1
                values.append({"id": ovid, "option_id": oid, "value": size, "position": pos})
                variants.append(
                    {
                        "id": vid,
                        "product_id": i,
                        "sku": f"B{i}-{size}",
                        "title": size,
                        "position": pos,
                        "price": price + 100 * pos,
                        "compare_at_price": price + 900 if i % 5 == 0 else None,
                        "weight_grams": 300,
                        "barcode": "",
                        "requires_shipping": True,
                        "taxable": True,
                        "inventory_policy": "deny",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                vov.append({"variant_id": vid, "option_value_id": ovid})
                stock.append(
                    {
                        "variant_id": vid,
                        "location_id": 1,
                        "on_hand": 0 if i % 11 == 0 else 20,
                        "allocated": 0,
                        "allow_negative": False,
                        "low_stock_threshold": 3,
                        "updated_at": now,
                    }
                )
            if i % 2 == 0:
                reviews.append(
                    {
                        "product_id": i,
                        "author_name": "Bench Shopper",
                        "email": "b@example.com",
                        "rating": 3 + i % 3,
                        "title": "Nice",
                        "body": "Does what it says.",
                        "status": "approved",
                        "verified_purchase": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        for chunk in range(0, n, 5000):
            c.execute(insert(Product), products[chunk : chunk + 5000])
        for rows, table in (
            (links, product_categories),
            (options, ProductOption),
            (values, ProductOptionValue),
            (variants, Variant),
            (vov, variant_option_values),
            (stock, StockLevel),
            (reviews, Review),
        ):
            for chunk in range(0, len(rows), 10000):
                c.execute(insert(table), rows[chunk : chunk + 10000])
        c.execute(
            insert(Collection),
            [
                {
                    "id": k,
                    "title": f"Featured {k}",
                    "slug": f"featured-{k}",
                    "description": "",
                    "featured": True,
                    "position": k,
                    "seo_title": "",
                    "seo_description": "",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for k in (1, 2)
            ],
        )
        c.execute(
            insert(CollectionProduct),
            [
                {"collection_id": k, "product_id": p, "position": p}
                for k in (1, 2)
                for p in range(k, min(n, 200), 3)
            ],
        )
        if images:
            imgs = _images(store, n, rng)
            c.execute(insert(ProductImage), imgs)
    engine.dispose()
    (store / "shop.toml").write_text(
        f'store_name = "Bench Store"\ndatabase_url = "sqlite:///{store / "shop.db"}"\n'
        'site_url = "https://bench.example"\napi_url = "https://bench.example/api/v1"\n'
    )
    return store


def _images(store: Path, n: int, rng: random.Random) -> list[dict]:
    """Twenty distinct source pictures shared by the products (a catalog reuses photos)."""
    import io

    from PIL import Image, ImageDraw

    from shop.core.catalog.images import store_image

    now = datetime(2026, 1, 1, tzinfo=UTC)
    stored = []
    for _ in range(20):
        image = Image.new("RGB", (1200, 1200), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        ImageDraw.Draw(image).ellipse([200, 200, 1000, 1000], fill=(240, 240, 240))
        data = io.BytesIO()
        image.save(data, format="JPEG", quality=85)
        stored.append(store_image(data.getvalue(), store / "media"))
    return [
        {
            "product_id": i,
            "file": stored[i % 20].file,
            "sha256": stored[i % 20].sha256,
            "alt": f"Product {i}",
            "position": 1,
            "width": 1200,
            "height": 1200,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, n + 1)
    ]


def edit_one_product(store: Path, n: int) -> None:
    import sqlite3

    with sqlite3.connect(store / "shop.db") as db:
        db.execute(
            "UPDATE products SET title = title || ' (edited)', version = version + 1, "
            "updated_at = ? WHERE id = ?",
            (datetime.now(UTC).isoformat(), n // 2),
        )


# -- one build in its own process ---------------------------------------------------------


def run_build(store: Path, full: bool, jobs: int | None) -> None:
    """Child mode: build, print the summary and this process tree's peak memory as JSON."""

    os.environ["SHOP_DIR"] = str(store)
    from shop.config import get_settings
    from shop.generator.pipeline import build_site

    def cpu_seconds() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    cpu_before = cpu_seconds()  # not the imports
    started = time.perf_counter()
    summary = build_site(get_settings(), full=full, jobs=jobs)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                **summary.as_dict(),
                "seconds": elapsed,
                "own_kb": own.ru_maxrss,
                "child_kb": children.ru_maxrss,
                "cpu": cpu,
            }
        )
    )


def build(store: Path, *, full: bool = False, jobs: int | None = None) -> dict:
    """Run one build in a child process; while it runs, sample the memory of its whole process
    tree (the build, its forked render workers, Pagefind) every 0.1 s from here."""
    import tempfile

    args = [sys.executable, __file__, "--child", str(store)] + (["--full"] if full else [])
    if jobs:
        args += ["--jobs", str(jobs)]
    started = time.perf_counter()
    peak_pss = peak_rss = 0
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(args, stdout=out, stderr=err, text=True)
        while child.poll() is None:
            pss, rss = tree_memory_kb(child.pid)
            peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
            time.sleep(0.1)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise SystemExit(f"build failed:\n{stderr}")
    data = json.loads(stdout.strip().splitlines()[-1])
    data["wall"] = time.perf_counter() - started
    data["tree_pss_kb"], data["tree_rss_kb"] = peak_pss, peak_rss
    return data


def tree_memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) summed over `pid` and its descendants, in kB. PSS divides each page shared
    by several processes (the workers' copy-on-write catalog) among them, so its sum is what
    the tree really occupies; the RSS sum counts shared pages once per process."""
    pss = rss = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):  # the process ended meanwhile
            continue
    return pss, rss


# -- Hugo -------------------------------------------------------------------------------

HUGO_BASEOF = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title><link rel="canonical" href="{{ .Permalink }}">
<meta property="og:title" content="{{ .Title }}"><meta property="og:url" content="{{ .Permalink }}">
<link rel="stylesheet" href="/site.css">{{ block "head" . }}{{ end }}</head>
<body><a href="#main">Skip to content</a>
<header><a href="/">{{ site.Title }}</a><form role="search" action="/search/"><input name="q" type="search"></form>
<nav aria-label="Categories"><ul>{{ range site.Data.nav.tops }}<li><a href="/categories/{{ .slug }}/">{{ .name }}</a></li>{{ end }}</ul></nav></header>
<main id="main">{{ block "main" . }}{{ end }}</main>
<footer><ul>{{ range site.Data.nav.tops }}<li><a href="/categories/{{ .slug }}/">{{ .name }}</a></li>{{ end }}</ul></footer>
</body></html>
"""
HUGO_SINGLE = """{{ define "head" }}<script type="application/ld+json">{{ dict "@context" "https://schema.org" "@type" "Product" "name" .Title "description" .Params.summary "sku" (index .Params.skus 0) "offers" (dict "@type" "AggregateOffer" "lowPrice" .Params.price "priceCurrency" "EUR" "availability" .Params.availability) "aggregateRating" (dict "@type" "AggregateRating" "ratingValue" .Params.rating "reviewCount" .Params.reviews) | jsonify | safeJS }}</script>
<script type="application/ld+json">{{ dict "@context" "https://schema.org" "@type" "BreadcrumbList" "itemListElement" (slice (dict "@type" "ListItem" "position" 1 "name" "Home" "item" site.BaseURL) (dict "@type" "ListItem" "position" 2 "name" .Params.category_name "item" (printf "%scategories/%s/" site.BaseURL (index .Params.categories 0))) (dict "@type" "ListItem" "position" 3 "name" .Title "item" .Permalink)) | jsonify | safeJS }}</script>{{ end }}
{{ define "main" }}<nav aria-label="Breadcrumb"><ol><li><a href="/">Home</a></li><li><a href="/categories/{{ index .Params.categories 0 }}/">{{ .Params.category_name }}</a></li><li>{{ .Title }}</li></ol></nav>
<article><h1>{{ .Title }}</h1><p>{{ .Params.vendor }}</p><p class="price">€{{ .Params.price }}</p><p>{{ .Params.availability }}</p>
<form action="/cart/"><label for="variant">Variant</label><select id="variant" name="sku">{{ range .Params.variants }}<option value="{{ .sku }}">{{ .title }} – €{{ .price }}</option>{{ end }}</select>
<label for="q">Quantity</label><input id="q" name="quantity" type="number" value="1"><button>Add to cart</button></form>
<div class="description">{{ .Content }}</div>
<section><h2>Reviews</h2><p>{{ .Params.rating }} out of 5 ({{ .Params.reviews }})</p></section></article>{{ end }}
"""
HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>{{ $pager := .Paginate .Pages 48 }}<ul class="grid">{{ range $pager.Pages }}<li><a href="{{ .RelPermalink }}"><h2>{{ .Title }}</h2></a><p>€{{ .Params.price }}</p></li>{{ end }}</ul>
<nav aria-label="Pagination">{{ if $pager.HasPrev }}<a rel="prev" href="{{ $pager.Prev.URL }}">Previous</a>{{ end }}{{ range $pager.Pagers }}<a href="{{ .URL }}">{{ .PageNumber }}</a>{{ end }}{{ if $pager.HasNext }}<a rel="next" href="{{ $pager.Next.URL }}">Next</a>{{ end }}</nav>{{ end }}
"""
HUGO_HOME = """{{ define "main" }}<h1>{{ site.Title }}</h1><h2>New arrivals</h2><ul>{{ range first 8 (where site.RegularPages "Section" "products") }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> €{{ .Params.price }}</li>{{ end }}</ul>{{ end }}
"""


def ensure_hugo() -> str | None:
    found = shutil.which("hugo")
    if found:
        return found
    print("hugo not found; installing Debian's package with apt-get …", flush=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "hugo"],
        check=False,
        env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    return shutil.which("hugo")


def hugo_site(store: Path) -> Path:
    """The store's catalog as Hugo content (read from the same database)."""
    import sqlite3

    site = store.parent / f"{store.name}-hugo"
    shutil.rmtree(site, ignore_errors=True)
    for folder in ("content/products", "layouts/_default", "layouts/products", "data", "static"):
        (site / folder).mkdir(parents=True)
    db = sqlite3.connect(store / "shop.db")
    cats = {
        row[0]: (row[1], row[2], row[3])
        for row in db.execute("SELECT id, name, slug, parent_id FROM categories")
    }
    tops = [
        {"name": name, "slug": slug} for _, (name, slug, parent) in sorted(cats.items()) if parent is None
    ]
    (site / "data" / "nav.json").write_text(json.dumps({"tops": tops}))
    variants: dict[int, list] = {}
    for pid, sku, title, price, available in db.execute(
        "SELECT v.product_id, v.sku, v.title, v.price, s.on_hand - s.allocated FROM variants v "
        "JOIN stock_levels s ON s.variant_id = v.id ORDER BY v.product_id, v.position"
    ):
        variants.setdefault(pid, []).append(
            {"sku": sku, "title": title, "price": f"{price / 100:.2f}", "available": available}
        )
    ratings = {
        pid: (avg, count)
        for pid, avg, count in db.execute(
            "SELECT product_id, AVG(rating), COUNT(*) FROM reviews WHERE status = 'approved' GROUP BY product_id"
        )
    }
    category_of = dict(db.execute("SELECT product_id, category_id FROM product_categories"))
    for pid, title, slug, description, vendor in db.execute(
        "SELECT id, title, slug, description, vendor FROM products WHERE status = 'active'"
    ):
        vs = variants.get(pid, [])
        leaf = cats[category_of[pid]]
        chain = [leaf[1]] + ([cats[leaf[2]][1]] if leaf[2] else [])
        rating = ratings.get(pid, (0, 0))
        front = {
            "title": title,
            "slug": slug,
            "vendor": vendor,
            "summary": title,
            "price": vs[0]["price"] if vs else "0",
            "skus": [v["sku"] for v in vs],
            "variants": vs,
            "availability": "InStock" if any(v["available"] > 0 for v in vs) else "OutOfStock",
            "rating": round(rating[0] or 0, 1),
            "reviews": rating[1],
            "categories": chain,
            "category_name": leaf[0],
        }
        (site / "content" / "products" / f"{slug}.md").write_text(
            json.dumps(front) + "\n\n" + description + "\n"
        )
    db.close()
    (site / "config.json").write_text(
        json.dumps(
            {
                "baseURL": "https://bench.example/",
                "title": "Bench Store",
                "languageCode": "en",
                "disableKinds": ["RSS", "taxonomy"] if False else ["RSS"],
                "paginate": 48,
                "taxonomies": {"category": "categories"},
                "outputs": {
                    "home": ["HTML"],
                    "section": ["HTML"],
                    "taxonomy": ["HTML"],
                    "term": ["HTML"],
                },
            }
        )
    )
    (site / "layouts" / "_default" / "baseof.html").write_text(HUGO_BASEOF)
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
    (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
    (site / "layouts" / "_default" / "terms.html").write_text(HUGO_LIST)
    (site / "layouts" / "index.html").write_text(HUGO_HOME)
    return site


def hugo_build(hugo: str, site: Path) -> dict:
    shutil.rmtree(site / "public", ignore_errors=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    result = subprocess.run(
        [hugo, "--quiet", "-s", str(site), "-d", str(site / "public")],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"hugo failed:\n{result.stderr[-2000:]}")
    pages = sum(1 for _ in (site / "public").rglob("*.html"))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    return {"seconds": seconds, "pages": pages, "peak_mb": max(usage.ru_maxrss, before) / 1024, "cpu": cpu}


# -- main -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--images", action="store_true", help="give every product an image")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_build(args.child, args.full, args.jobs)
        return
    hugo = None if args.no_hugo else ensure_hugo()
    rows = []
    for n in args.sizes:
        t = time.perf_counter()
        store = make_store(n, images=args.images)
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"\n== {n:,} products (catalog made in {time.perf_counter() - t:.1f}s; load average {load})",
            flush=True,
        )
        full = build(store, full=True, jobs=args.jobs)
        pages = full["pages_written"] + full["pages_unchanged"]
        peak = full["tree_pss_kb"] / 1024
        print(
            f"shop full build: {full['seconds']:.2f}s, {pages:,} pages, {pages / full['seconds']:,.0f} pages/s, "
            f"CPU {full['cpu']:.1f}s ({pages / full['cpu']:,.0f} pages per CPU-second), "
            f"images {full['images_written']}; peak memory of the process tree {peak:,.0f} MB PSS "
            f"({full['tree_rss_kb'] / 1024:,.0f} MB RSS summed, counting shared pages in every process); "
            f"peak RSS of the main process {full['own_kb'] / 1024:,.0f} MB, of the largest child "
            f"{full['child_kb'] / 1024:,.0f} MB",
            flush=True,
        )
        print(f"  phases: {full['timings']}", flush=True)
        noop = build(store, jobs=args.jobs)
        print(
            f"shop no-op rebuild: {noop['seconds']:.2f}s, CPU {noop['cpu']:.2f}s "
            f"({noop['pages_written']} pages written); "
            f"phases: {noop['timings']}",
            flush=True,
        )
        edit_one_product(store, n)
        edit = build(store, jobs=args.jobs)
        print(
            f"shop one-product edit: {edit['seconds']:.2f}s, CPU {edit['cpu']:.2f}s, "
            f"{edit['pages_written']} pages written, "
            f"search re-indexed: {edit['search_indexed']}; phases: {edit['timings']}",
            flush=True,
        )
        row = {
            "products": n,
            "pages": pages,
            "full_s": full["seconds"],
            "full_cpu_s": full["cpu"],
            "pages_per_s": pages / full["seconds"],
            "peak_mb": peak,
            "peak_rss_sum_mb": full["tree_rss_kb"] / 1024,
            "main_rss_mb": full["own_kb"] / 1024,
            "child_rss_mb": full["child_kb"] / 1024,
            "noop_s": noop["seconds"],
            "edit_s": edit["seconds"],
            "edit_pages": edit["pages_written"],
        }
        if hugo:
            site = hugo_site(store)
            h = hugo_build(hugo, site)
            row.update(
                hugo_cpu_s=h["cpu"],
                hugo_s=h["seconds"],
                hugo_pages=h["pages"],
                hugo_pages_per_s=h["pages"] / h["seconds"],
            )
            print(
                f"hugo full build: {h['seconds']:.2f}s, {h['pages']:,} pages, "
                f"{h['pages'] / h['seconds']:,.0f} pages/s, CPU {h['cpu']:.1f}s "
                f"({h['pages'] / h['cpu']:,.0f} pages per CPU-second), peak memory {h['peak_mb']:,.0f} MB",
                flush=True,
            )
            row["cpu_ratio"] = (pages / full["cpu"]) / (h["pages"] / h["cpu"])
            print(
                f"ratio (shop pages/s ÷ hugo pages/s): {row['pages_per_s'] / row['hugo_pages_per_s']:.2f}; "
                f"per CPU-second (less sensitive to a busy machine): {row['cpu_ratio']:.2f}",
                flush=True,
            )
        rows.append(row)
    print("\n" + json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
