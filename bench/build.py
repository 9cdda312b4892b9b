# ruff: noqa: E501, RUF001 - Hugo templates are embedded verbatim
"""Benchmark `shop build` against Hugo on the same synthetic catalog.

    .venv/bin/python bench/build.py                  # 1,000 and 10,000 products
    .venv/bin/python bench/build.py --sizes 1000 10000 50000 --images

For each size: a synthetic catalog (3 variants per product, 60 categories in two levels,
stock, one approved review per two products, two featured collections; images optional)
in a fresh SQLite store under bench/out/; then the `shop build` command, each run timed
from its start to its exit (Python's start and imports included, as Hugo's own start is):
a full build (seconds, pages/s, peak memory), a no-op rebuild, and a rebuild after editing
one product. The full build is everything `shop build --full` does, the Pagefind index
included. Peak memory is sampled from outside every 0.1 s over the build's whole process
tree (the build, its forked render workers, Pagefind): the PSS sum is what the tree
really occupies (a page shared copy-on-write by the workers counts once; a command the
build has just started, still in the build's memory until it execs, is not counted); the
RSS sum (shared pages counted in every process) and the peak RSS of the largest process are
printed beside it. Full builds run `--repeat` times (3 by default), ours and Hugo's in
turn, each making its site where none is; the medians are compared. The sites a run
replaces are deleted at its end (see `discard_later`).
The same catalog is then written
as Hugo content with templates of equivalent content and built with Hugo (Debian's `hugo`,
installed with apt-get if missing): the same head, header, footer and category nav, product
pages with the same JSON-LD, breadcrumb, option picker, reviews and related products,
paginated category listings of the same cards, a sitemap (the average product page size of
both is printed, to show they match). Pagefind then indexes Hugo's pages, as a Hugo-built
shop with a search page would. Two ratios are printed: the site with its search index (ours
vs Hugo then Pagefind), and our whole build, search index included, against Hugo's pages
alone. (Ours indexes each search shard while the other pages still render, so it has no
separate "pages only" time.)

The machine may be shared: figures are wall-clock and vary with its load (printed). CPU
seconds (user + system, the whole process tree) are printed beside them, for ours and for
Hugo's, since they vary much less with what else runs. Every timed command starts with
the files of the ones before it written to disk (`settle_disk`).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
TOPS = 10
CHILDREN = 5
SIZES = ("S", "M", "L")


# -- deleting ---------------------------------------------------------------------------
#
# On the ext4 measured here (mounted without a journal), a file created within a minute or so
# of many deletions costs several times the usual CPU: the kernel checks every freed inode
# it considers for reuse against its deletion time (`recently_deleted`), and skips it. The
# previous run's sites are therefore moved aside (a rename) and deleted once this run has
# measured everything, not just before a build.

TRASH = OUT / ".trash"


def discard_later(path: Path) -> None:
    if path.exists():
        TRASH.mkdir(parents=True, exist_ok=True)
        path.rename(TRASH / f"{path.name}-{time.time_ns()}")


def empty_trash() -> None:
    shutil.rmtree(TRASH, ignore_errors=True)


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
    discard_later(store)
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


# -- one `shop build` command -------------------------------------------------------------


def build(store: Path, *, full: bool = False, jobs: int | None = None) -> dict:
    """Run `shop build --json` for `store`, as a shopkeeper would, and time the command from
    start to exit (the interpreter's start and imports included, as Hugo's are); meanwhile,
    sample the memory of its whole process tree (the build, its forked render workers,
    Pagefind) every 0.1 s. CPU seconds are those of the whole tree (every process in it is
    waited for)."""
    import tempfile

    script = Path(sys.executable).with_name("shop")
    command = (
        [str(script)] if script.exists() else [sys.executable, "-c", "from shop.cli import main; main()"]
    )
    args = [*command, "build", "--json"] + (["--full"] if full else [])
    if jobs:
        args += ["--jobs", str(jobs)]
    env = {**os.environ, "SHOP_DIR": str(store)}
    settle_disk()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = [0, 0, 0]  # tree PSS, tree RSS, largest RSS
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(args, stdout=out, stderr=err, text=True, env=env)
        done = threading.Event()

        def sample() -> None:  # at once, then every 0.1 s until the command exits
            while True:
                peak[:] = map(max, peak, tree_memory_kb(child.pid))
                if done.wait(0.1):
                    return

        # Sampled beside the wait, not in its loop: polling every 0.1 s made the command
        # look up to 0.1 s slower than it was, while Hugo is timed to its exit.
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        child.wait()
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        peak_pss, peak_rss, largest = peak
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise SystemExit(f"build failed:\n{stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    data = json.loads(stdout.strip().splitlines()[-1])
    data["inside"] = data["seconds"]  # build_site alone, as the command reports it
    data["seconds"] = wall
    data["cpu"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    data["largest_kb"] = largest
    data["tree_pss_kb"], data["tree_rss_kb"] = peak_pss, peak_rss
    return data


def tree_memory_kb(pid: int) -> tuple[int, int, int]:
    """(PSS, RSS) summed over `pid` and its descendants, and the largest RSS of one of them,
    in kB. PSS divides each page shared by several processes (the workers' copy-on-write
    catalog) among them, so its sum is what the tree really occupies; the RSS sum counts
    shared pages once per process.

    A child started with vfork (as `subprocess` starts Pagefind) runs in its parent's memory
    until it execs, and its smaps_rollup then reports its parent's memory again: sampled in
    that moment, the build's main process counted twice (at 50,000 products a peak of 1,060
    MB for a tree that held about 840). Such a child is not counted (`_shares_memory`)."""
    pss = rss = largest = 0
    todo = [(pid, 0)]
    while todo:
        current, parent = todo.pop()
        if parent and _shares_memory(parent, current):
            continue
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
                    largest = max(largest, int(line.split()[1]))
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [(int(c), current) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):  # the process ended meanwhile
            continue
    return pss, rss, largest


# kcmp(2), whose KCMP_VM tells whether two processes share one address space; where it is
# missing (another architecture, a kernel without it) every process is counted.
_KCMP = {"x86_64": 312, "aarch64": 272}.get(os.uname().machine)
_KCMP_VM = 1
_LIBC = ctypes.CDLL(None)


def _shares_memory(a: int, b: int) -> bool:
    return _KCMP is not None and _LIBC.syscall(_KCMP, a, b, _KCMP_VM, 0, 0) == 0


# -- Hugo -------------------------------------------------------------------------------
#
# The Hugo site shows what ours shows, element for element where Hugo can: the same head
# (meta description, Open Graph, icon, stylesheet, theme colours, script), header with the
# search form, cart link and category navigation, footer with its three sections (both
# rendered once per build with partialCached, as ours renders them once with `fragment`),
# product pages with two JSON-LD blocks (Product with an Offer per variant, brand, rating
# and reviews; BreadcrumbList), breadcrumb, gallery, rating, price, availability, option
# picker, variant select, quantity, description HTML, tags, the review list, four related
# product cards (cached per card, as ours memoises them) and the variants JSON; paginated
# category listings of cards with rel prev/next; a home page; a sitemap. The data is read
# with our own catalog loader, so related products, prices and ratings are the same; the
# benchmark prints the average product page size of both sites beside the timings.

HUGO_BASEOF = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title>
{{ with .Params.summary }}<meta name="description" content="{{ . }}">
{{ end }}<link rel="canonical" href="{{ .Permalink }}">
{{ block "links" . }}{{ end }}<meta property="og:site_name" content="{{ site.Title }}">
<meta property="og:type" content="{{ if .IsPage }}product{{ else }}website{{ end }}">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:url" content="{{ .Permalink }}">
{{ with .Params.summary }}<meta property="og:description" content="{{ . }}">
{{ end }}{{ partialCached "head-assets.html" . }}
{{ block "head" . }}{{ end }}
</head>
<body data-api="{{ site.Params.api }}" data-base="" data-currency="EUR" data-locale="en">
<a class="skip-link" href="#main">Skip to content</a>
{{ partialCached "header.html" . }}
<main id="main" tabindex="-1" {{ block "main_attrs" . }}{{ end }}>
{{ block "main" . }}{{ end }}
</main>
{{ partialCached "footer.html" . }}
</body>
</html>
"""
HUGO_HEAD_ASSETS = """<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/site.css">
<style>:root{ {{- range site.Params.colours }}--{{ .name }}:{{ .value | safeCSS }};{{ end -}} }</style>
<script src="/shop.js" defer></script>"""
HUGO_HEADER = """<header class="site-header">
  <div class="wrap header-row">
    <a class="logo" href="/">{{ site.Title }}</a>
    <form class="search-form" role="search" action="/search/" method="get">
      <label for="site-search" class="visually-hidden">Search products</label>
      <input id="site-search" name="q" type="search" placeholder="Search products" autocomplete="off">
      <button type="submit" class="button">Search</button>
    </form>
    <a class="cart-link" href="/cart/">Cart <span class="cart-count" data-cart-count><span class="visually-hidden">items: </span>0</span></a>
  </div>
<nav class="site-nav" aria-label="Categories">
  <ul class="wrap">
{{ range site.Data.nav.tops }}    <li><a href="/categories/{{ .slug }}/">{{ .name }}</a></li>
{{ end }}  </ul>
</nav></header>"""
HUGO_FOOTER = """<footer class="site-footer">
  <div class="wrap footer-grid">
    <section aria-labelledby="footer-shop">
      <h2 id="footer-shop">Shop</h2>
      <ul>
{{ range site.Data.nav.tops }}        <li><a href="/categories/{{ .slug }}/">{{ .name }}</a></li>
{{ end }}      </ul>
    </section>
    <section aria-labelledby="footer-help">
      <h2 id="footer-help">Help</h2>
      <ul>
        <li><a href="/order/">Order status</a></li>
        <li><a href="/account/">Your account</a></li>
        <li><a href="/search/">Search</a></li>
      </ul>
    </section>
    <section aria-labelledby="footer-shipping">
      <h2 id="footer-shipping">Shipping</h2>
      <ul>
{{ range site.Data.nav.shipping }}        <li>{{ . }}</li>
{{ end }}      </ul>
    </section>
  </div>
  <p class="wrap fineprint">&copy; {{ site.Title }}</p>
</footer>"""
HUGO_PRICE = """<span class="price">{{ with .prefix }}{{ . }} {{ end }}<span class="amount" data-price>€{{ .amount }}</span>{{ with .compare_at }} <s class="compare-at" data-compare-at><span class="visually-hidden">was </span>€{{ . }}</s>{{ end }}</span>"""
HUGO_STARS = """<span class="stars" aria-hidden="true" style="--rating: {{ . }}">★★★★★</span>"""
HUGO_CARD = """<li class="card{{ if .c.sold_out }} is-sold-out{{ end }}">
  <a class="card-link" href="{{ .c.url }}">
    <div class="card-media">
<span class="placeholder" aria-hidden="true"></span>{{ if .c.sold_out }}<span class="badge badge-muted">Sold out</span>{{ else if .c.compare_at }}<span class="badge badge-sale">Sale</span>{{ end }}    </div>
    <h{{ .level }} class="card-title">{{ .c.title }}</h{{ .level }}>
  </a>
  <p class="card-price">{{ partial "price.html" (dict "amount" .c.price_min "compare_at" .c.compare_at "prefix" (cond .c.from "From" "")) }}</p>
{{ if .c.rating_count }}  <p class="card-rating">{{ partial "stars.html" .c.rating }} <span class="visually-hidden">Rated </span>{{ .c.rating }}<span class="visually-hidden"> out of 5</span> ({{ .c.rating_count }})</p>
{{ end }}</li>"""
HUGO_CRUMBS = """<nav class="breadcrumbs" aria-label="Breadcrumb">
  <ol>
{{ range . }}    <li><a href="{{ .url }}"{{ if .current }} aria-current="page"{{ end }}>{{ .name }}</a></li>
{{ end }}  </ol>
</nav>"""
HUGO_SINGLE = """{{ define "head" }}{{ $offers := slice }}{{ range .Params.variants }}{{ $offers = $offers | append (dict "@type" "Offer" "sku" .sku "name" .title "price" .price "priceCurrency" "EUR" "availability" .schema "itemCondition" "https://schema.org/NewCondition" "url" (printf "%s?variant=%v" $.Permalink .id)) }}{{ end }}
{{- $ld := dict "@context" "https://schema.org" "@type" "Product" "name" .Title "url" .Permalink "description" .Params.text "offers" $offers "brand" (dict "@type" "Brand" "name" .Params.vendor) }}
{{- if .Params.rating_count }}{{ $reviews := slice }}{{ range .Params.reviews }}{{ $reviews = $reviews | append (dict "@type" "Review" "author" (dict "@type" "Person" "name" .author) "datePublished" .date "name" .title "reviewBody" .body "reviewRating" (dict "@type" "Rating" "ratingValue" .rating "bestRating" 5)) }}{{ end }}
{{- $ld = merge $ld (dict "aggregateRating" (dict "@type" "AggregateRating" "ratingValue" .Params.rating "reviewCount" .Params.rating_count "bestRating" 5 "worstRating" 1) "review" $reviews) }}{{ end -}}
<script type="application/ld+json">{{ $ld | jsonify | safeJS }}</script>
{{ $items := slice }}{{ range $i, $c := .Params.crumbs }}{{ $items = $items | append (dict "@type" "ListItem" "position" (add $i 1) "name" $c.name "item" (printf "https://bench.example%s" $c.url)) }}{{ end -}}
<script type="application/ld+json">{{ dict "@context" "https://schema.org" "@type" "BreadcrumbList" "itemListElement" $items | jsonify | safeJS }}</script>{{ end }}
{{ define "main_attrs" }}data-pagefind-body{{ end }}
{{ define "main" }}{{ $v := index .Params.variants 0 }}
<div class="wrap">
{{ partial "crumbs.html" .Params.crumbs }}  <article class="product" data-product data-skus="{{ delimit .Params.skus "," }}">
    <div class="gallery">
      <div class="gallery-item placeholder" aria-hidden="true"></div>
    </div>
    <div class="product-info">
      <h1 data-pagefind-meta="title">{{ .Title }}</h1>
{{ with .Params.vendor }}<p class="muted vendor">{{ . }}</p>{{ end }}{{ if .Params.rating_count }}      <p class="rating"><a href="#reviews">{{ partial "stars.html" .Params.rating }} {{ .Params.rating }} out of 5 <span class="muted">({{ .Params.rating_count }} review{{ if ne (int .Params.rating_count) 1 }}s{{ end }})</span></a></p>
{{ end }}      <p class="product-price" data-product-price data-pagefind-meta="price">{{ partial "price.html" (dict "amount" $v.price "compare_at" $v.compare_at) }}</p>
      <p class="availability" data-availability data-state="{{ $v.state }}">{{ $v.state_text }}</p>
      <form class="buy" action="/cart/" method="get" data-add-to-cart data-pagefind-ignore="all">
        <div class="option-picker" data-option-picker hidden>
{{ range $o, $option := .Params.options }}          <fieldset class="option">
            <legend>{{ $option.name }}</legend>
            <div class="swatches">
{{ range $n, $value := $option.values }}              <input type="radio" id="option-{{ add $o 1 }}-{{ add $n 1 }}" name="option-{{ add $o 1 }}" value="{{ $value }}" data-option="{{ $option.name }}"{{ if eq (index $v.options $option.name) $value }} checked{{ end }}>
              <label for="option-{{ add $o 1 }}-{{ add $n 1 }}">{{ $value }}</label>
{{ end }}            </div>
          </fieldset>
{{ end }}        </div>
        <div class="field" data-variant-field>
          <label for="variant">Variant</label>
          <select id="variant" name="sku" data-variant-select>
{{ range .Params.variants }}            <option value="{{ .sku }}" data-variant-id="{{ .id }}"{{ if eq .id $v.id }} selected{{ end }}>{{ .title }} – €{{ .price }}{{ if .sold_out }} (sold out){{ end }}</option>
{{ end }}          </select>
        </div>
        <div class="buy-row">
          <div class="field quantity">
            <label for="quantity">Quantity</label>
            <input id="quantity" name="quantity" type="number" min="1" max="999" value="1" inputmode="numeric" required>
          </div>
          <button type="submit" class="button primary" data-add-button{{ if $v.sold_out }} disabled{{ end }}>{{ if $v.sold_out }}Sold out{{ else }}Add to cart{{ end }}</button>
        </div>
        <p class="form-status" role="status" aria-live="polite" data-cart-status></p>
      </form>
      <div class="description">{{ .Content }}</div>
{{ with .Params.tags }}<p class="tags muted">{{ range . }}<span class="tag">{{ . }}</span>{{ end }}</p>{{ end }}    </div>
  </article>

  <section id="reviews" class="reviews" aria-labelledby="reviews-title">
    <h2 id="reviews-title">Reviews</h2>
{{ if .Params.rating_count }}    <p class="rating-summary">{{ partial "stars.html" .Params.rating }} <strong>{{ .Params.rating }}</strong> out of 5, from {{ .Params.rating_count }} review{{ if ne (int .Params.rating_count) 1 }}s{{ end }}</p>
    <ul class="review-list">
{{ range .Params.reviews }}      <li class="review">
        <p class="review-head">{{ partial "stars.html" .rating }} <span class="visually-hidden">{{ .rating }} out of 5</span> <strong>{{ .title }}</strong></p>
        <p>{{ .body }}</p>
        <p class="muted">{{ .author }}, <time datetime="{{ .date }}">{{ (time .date).Format "02 Jan 2006" }}</time>{{ if .verified }} · Verified purchase{{ end }}</p>
      </li>
{{ end }}    </ul>
{{ else }}    <p class="muted">No reviews yet.</p>
{{ end }}    <div data-review-form-slot data-product-id="{{ .Params.id }}"></div>
  </section>
{{ with .Params.related }}
  <section class="related shelf" aria-labelledby="related-title" data-pagefind-ignore="all">
    <h2 id="related-title">You may also like</h2>
    <ul class="grid">
{{ range . }}      {{ partialCached "card.html" (dict "c" . "level" 3) .url 3 }}
{{ end }}    </ul>
  </section>
{{ end }}</div>
<script type="application/json" id="product-variants">{{ .Params.variants_json | jsonify | safeJS }}</script>
{{ end }}
"""
HUGO_LIST = """{{ define "links" }}{{ $pager := .Paginator }}{{ if $pager.HasPrev }}<link rel="prev" href="{{ $pager.Prev.URL }}">
{{ end }}{{ if $pager.HasNext }}<link rel="next" href="{{ $pager.Next.URL }}">
{{ end }}{{ end }}
{{ define "main" }}{{ $pager := .Paginator }}
<div class="wrap">
{{ partial "crumbs.html" (slice (dict "name" "Home" "url" "/") (dict "name" .Title "url" .RelPermalink "current" true)) }}  <header class="listing-header">
    <h1>{{ .Title }}</h1>
    <p class="muted">{{ len .Pages }} products</p>
  </header>
  <ul class="grid">
{{ range $pager.Pages }}    {{ partialCached "card.html" (dict "c" .Params.card "level" 2) .Params.card.url 2 }}
{{ end }}  </ul>
  <nav class="pagination" aria-label="Pagination">
    <ul>
{{ if $pager.HasPrev }}<li><a href="{{ $pager.Prev.URL }}" rel="prev">Previous<span class="visually-hidden"> page</span></a></li>{{ end }}{{ range $pager.Pagers }}      <li><a href="{{ .URL }}"{{ if eq .PageNumber $pager.PageNumber }} aria-current="page"{{ end }}><span class="visually-hidden">Page </span>{{ .PageNumber }}</a></li>
{{ end }}{{ if $pager.HasNext }}<li><a href="{{ $pager.Next.URL }}" rel="next">Next<span class="visually-hidden"> page</span></a></li>{{ end }}    </ul>
  </nav>
</div>{{ end }}
"""
# /categories/ itself (Hugo makes it; ours has no such page): a plain list of the categories.
HUGO_TERMS = """{{ define "main" }}<div class="wrap"><h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></div>{{ end }}
"""
HUGO_HOME = """{{ define "main" }}
<div class="wrap">
  <section class="hero"><h1>{{ site.Title }}</h1></section>
  <section class="shelf" aria-labelledby="new-title">
    <h2 id="new-title">New arrivals</h2>
    <ul class="grid">
{{ range first 8 (where site.RegularPages "Section" "products") }}    {{ partialCached "card.html" (dict "c" .Params.card "level" 3) .Params.card.url 3 }}
{{ end }}    </ul>
  </section>
</div>{{ end }}
"""
HUGO_PARTIALS = {
    "head-assets.html": HUGO_HEAD_ASSETS,
    "header.html": HUGO_HEADER,
    "footer.html": HUGO_FOOTER,
    "price.html": HUGO_PRICE,
    "stars.html": HUGO_STARS,
    "card.html": HUGO_CARD,
    "crumbs.html": HUGO_CRUMBS,
}
STATE_TEXT = {
    "in_stock": "In stock",
    "low_stock": "Only a few left",
    "backorder": "Available on backorder",
    "sold_out": "Sold out",
}


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
    """The store's catalog as Hugo content, read with our own catalog loader (so related
    products, prices and ratings are the ones our pages show)."""
    from shop.generator.pages import SCHEMA_AVAILABILITY, Site, _related
    from shop.generator.snapshot import open_snapshot
    from shop.generator.source import load_catalog
    from shop.generator.templating import format_money
    from shop.generator.themes import merged_settings, theme_chain

    def euros(amount: int | None) -> str | None:
        return f"{amount / 100:.2f}" if amount else None

    site_dir = store.parent / f"{store.name}-hugo"
    discard_later(site_dir)
    for folder in ("content/products", "layouts/_default", "layouts/partials", "data", "static"):
        (site_dir / folder).mkdir(parents=True)
    with open_snapshot(f"sqlite:///{store / 'shop.db'}") as db:
        catalog = load_catalog(db)
    site = Site(catalog, site_url="https://bench.example", base="", per_page=48, currency="EUR")
    shipping = [
        f"{s.name}: {format_money(s.price, 'EUR')}"
        + (f", free over {format_money(s.free_over, 'EUR')}" if s.free_over else "")
        + (f" ({s.delivery_estimate})" if s.delivery_estimate else "")
        for s in catalog.shipping
    ]
    tops = [{"name": c.name, "slug": c.slug} for c in catalog.top_categories]
    (site_dir / "data" / "nav.json").write_text(json.dumps({"tops": tops, "shipping": shipping}))

    def card(p: Any) -> dict[str, Any]:
        return {
            "url": site.product_url(p),
            "title": p.title,
            "price_min": euros(p.price_min),
            "from": p.price_min != p.price_max,
            "compare_at": euros(p.compare_at),
            "sold_out": p.sold_out,
            "rating": f"{p.rating_average:.1f}",
            "rating_count": p.rating_count,
        }

    for p in catalog.products.values():
        chain = catalog.category_chain(p.category_ids[0]) if p.category_ids else []
        text = re.sub(r"<[^>]+>", "", p.description).strip()
        crumbs = (
            [{"name": "Home", "url": "/"}]
            + [{"name": c.name, "url": f"/categories/{c.slug}/"} for c in chain]
            + [{"name": p.title, "url": site.product_url(p), "current": True}]
        )
        front = {
            "title": p.title,
            "slug": p.slug,
            "id": p.id,
            "vendor": p.vendor,
            "summary": text[:300],
            "text": text,
            "tags": p.tags,
            "skus": [v.sku for v in p.variants],
            "variants": [
                {
                    "id": v.id,
                    "sku": v.sku,
                    "title": v.title,
                    "price": euros(v.price),
                    "compare_at": euros(v.compare_at_price)
                    if v.compare_at_price and v.compare_at_price > v.price
                    else None,
                    "state": v.state,
                    "state_text": STATE_TEXT[v.state],
                    "schema": SCHEMA_AVAILABILITY[v.state],
                    "sold_out": v.sold_out,
                    "options": v.options,
                }
                for v in p.variants
            ],
            "variants_json": [
                {
                    "id": v.id,
                    "sku": v.sku,
                    "title": v.title,
                    "price": v.price,
                    "compare_at_price": v.compare_at_price,
                    "state": v.state,
                    "low_threshold": v.low_threshold,
                    "options": v.options,
                    "image_id": v.image_id,
                }
                for v in p.variants
            ],
            "options": [{"name": o.name, "values": o.values} for o in p.options],
            "rating": f"{p.rating_average:.1f}",
            "rating_count": p.rating_count,
            "reviews": [
                {
                    "author": r.author,
                    "rating": r.rating,
                    "title": r.title,
                    "body": r.body,
                    "verified": r.verified,
                    "date": r.created_at.date().isoformat(),
                }
                for r in p.reviews
            ],
            "categories": [c.slug for c in chain],
            "crumbs": crumbs,
            "card": card(p),
            "related": [card(r) for r in _related(site, p)],
        }
        (site_dir / "content" / "products" / f"{p.slug}.md").write_text(
            json.dumps(front) + "\n\n" + p.description + "\n"
        )
    settings = merged_settings(theme_chain("default", store / "themes"))
    colours = [
        {"name": css, "value": str(settings[key])}
        for key, css in (
            ("accent", "accent"),
            ("accent_text", "accent-text"),
            ("text", "text"),
            ("muted", "muted"),
            ("background", "bg"),
            ("surface", "surface"),
            ("sale", "sale"),
            ("font", "font"),
        )
    ]
    (site_dir / "config.json").write_text(
        json.dumps(
            {
                "baseURL": "https://bench.example/",
                "title": "Bench Store",
                "languageCode": "en",
                # The pages ours has, no more: Hugo would add a paginated list of every
                # product at /products/ (210 pages of cards at 10,000 products) and a list
                # of all categories. (The redirect it writes for each listing's /page/1/ is
                # not counted as a page: see `hugo_build`.)
                "disableKinds": ["RSS", "section", "taxonomy"],
                "ignoreErrors": ["error-disable-taxonomy"],  # "taxonomy" means the list of terms
                "paginate": 48,
                "taxonomies": {"category": "categories"},
                # The descriptions are HTML, as ours are (ours sanitise them with nh3).
                "markup": {"goldmark": {"renderer": {"unsafe": True}}},
                "params": {"api": "https://bench.example/api/v1", "colours": colours},
                "outputs": {
                    "home": ["HTML"],
                    "section": ["HTML"],
                    "taxonomy": ["HTML"],
                    "term": ["HTML"],
                },
            }
        )
    )
    layouts = site_dir / "layouts"
    (layouts / "_default" / "baseof.html").write_text(HUGO_BASEOF)
    (layouts / "_default" / "single.html").write_text(HUGO_SINGLE)
    (layouts / "_default" / "list.html").write_text(HUGO_LIST)
    (layouts / "_default" / "terms.html").write_text(HUGO_TERMS)
    (layouts / "index.html").write_text(HUGO_HOME)
    for name, text in HUGO_PARTIALS.items():
        (layouts / "partials" / name).write_text(text)
    return site_dir


def hugo_build(hugo: str, site: Path) -> dict:
    discard_later(site / "public")
    seconds, cpu, peak_kb = timed_child([hugo, "--quiet", "-s", str(site), "-d", str(site / "public")])
    # Pages, not the redirect stubs Hugo writes for each listing's /page/1/.
    pages = sum(1 for page in (site / "public").rglob("*.html") if not is_redirect(page))
    # What a Hugo-built shop runs next for its search page: Pagefind over the written
    # pages (the product pages mark their body and their related products as ours do).
    from shop.generator.search import executable

    search_seconds, search_cpu, _ = timed_child(
        [str(executable()), "--site", str(site / "public"), "--silent"]
    )
    return {
        "seconds": seconds,
        "pages": pages,
        "peak_mb": peak_kb / 1024,
        "cpu": cpu,
        "search_seconds": search_seconds,
        "search_cpu": search_cpu,
        "product_page_bytes": average_product_page(site / "public"),
    }


def is_redirect(page: Path) -> bool:
    with open(page, "rb") as handle:
        return b'http-equiv="refresh"' in handle.read(512)


def settle_disk() -> None:
    """Write back what earlier commands left in the page cache before a timed one starts.

    A full build leaves about 300 MB of small files to be written back, which the kernel
    does some 30 s later, in a thread that takes CPU and disk from whatever runs then: ours
    and Hugo's builds run in turn, so each was paying for the other's files (and the no-op
    and edit rebuilds for the last full build's: a no-op of 0.77 CPU-s took 1.23 s)."""
    os.sync()


def timed_child(args: list[str]) -> tuple[float, float, int]:
    """Run `args`; its wall seconds, CPU seconds and the peak RSS (kB) of this process's
    children so far (Hugo's own, when it runs first and is the largest)."""
    settle_disk()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{Path(args[0]).name} failed:\n{result.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, after.ru_maxrss


def average_product_page(public: Path) -> float:
    sizes = [p.stat().st_size for p in (public / "products").glob("*/index.html")]
    return sum(sizes) / max(1, len(sizes))


# -- main -------------------------------------------------------------------------------


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time (the lower middle one of an even count)."""
    return sorted(runs, key=lambda run: run["seconds"])[(len(runs) - 1) // 2]


def print_shop_full(full: dict, label: str) -> None:
    pages = full["pages_written"] + full["pages_unchanged"]
    print(
        f"{label}: {full['seconds']:.2f}s start to exit ({full['inside']:.2f}s in build_site), "
        f"{pages:,} pages, {pages / full['seconds']:,.0f} pages/s, "
        f"CPU {full['cpu']:.1f}s ({pages / full['cpu']:,.0f} pages per CPU-second), "
        f"images {full['images_written']}; peak memory of the process tree "
        f"{full['tree_pss_kb'] / 1024:,.0f} MB PSS ({full['tree_rss_kb'] / 1024:,.0f} MB RSS summed, "
        f"counting shared pages in every process); peak RSS of the largest process "
        f"{full['largest_kb'] / 1024:,.0f} MB",
        flush=True,
    )
    print(f"  phases: {full['timings']}", flush=True)


def print_hugo(h: dict, label: str) -> None:
    print(
        f"{label}: {h['seconds']:.2f}s, {h['pages']:,} pages, "
        f"{h['pages'] / h['seconds']:,.0f} pages/s, CPU {h['cpu']:.1f}s "
        f"({h['pages'] / h['cpu']:,.0f} pages per CPU-second), peak memory {h['peak_mb']:,.0f} MB; "
        f"then Pagefind over its pages: {h['search_seconds']:.2f}s, CPU {h['search_cpu']:.1f}s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--images", action="store_true", help="give every product an image")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="full builds of each side, ours and Hugo's in turn; the medians are compared",
    )
    args = parser.parse_args()
    hugo = None if args.no_hugo else ensure_hugo()
    # As `pip install` leaves an installed package: byte-compiled. An editable install where
    # PYTHONDONTWRITEBYTECODE is set (as on the machines measured here) would compile every
    # module of `shop` again in every command, about 0.08 s of its start.
    import compileall

    import shop

    compileall.compile_dir(Path(shop.__file__).parent, quiet=1)
    rows = []
    for n in args.sizes:
        t = time.perf_counter()
        store = make_store(n, images=args.images)
        site = hugo_site(store) if hugo else None
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"\n== {n:,} products (catalog and Hugo content made in {time.perf_counter() - t:.1f}s; "
            f"load average {load})",
            flush=True,
        )
        fulls: list[dict] = []
        hugos: list[dict] = []
        for turn in range(1, args.repeat + 1):
            discard_later(store / "public")  # each full build makes the site where none is
            fulls.append(build(store, full=True, jobs=args.jobs))
            print_shop_full(fulls[-1], f"[{turn}] shop build --full")
            if hugo and site:
                hugos.append(hugo_build(hugo, site))
                print_hugo(hugos[-1], f"[{turn}] hugo")
        full = median_run(fulls)
        pages = full["pages_written"] + full["pages_unchanged"]
        peak = max(run["tree_pss_kb"] for run in fulls) / 1024
        noop = build(store, jobs=args.jobs)
        print(
            f"shop no-op rebuild: {noop['seconds']:.2f}s ({noop['inside']:.2f}s in build_site), "
            f"CPU {noop['cpu']:.2f}s ({noop['pages_written']} pages written); phases: {noop['timings']}",
            flush=True,
        )
        edit_one_product(store, n)
        edit = build(store, jobs=args.jobs)
        print(
            f"shop one-product edit: {edit['seconds']:.2f}s ({edit['inside']:.2f}s in build_site), "
            f"CPU {edit['cpu']:.2f}s, {edit['pages_written']} pages written, "
            f"search re-indexed: {edit['search_indexed']}; phases: {edit['timings']}",
            flush=True,
        )
        row = {
            "products": n,
            "pages": pages,
            "full_s": full["seconds"],
            "full_s_runs": [run["seconds"] for run in fulls],
            "full_cpu_s": full["cpu"],
            "pages_per_s": pages / full["seconds"],
            "peak_mb": peak,
            "peak_rss_sum_mb": max(run["tree_rss_kb"] for run in fulls) / 1024,
            "largest_rss_mb": max(run["largest_kb"] for run in fulls) / 1024,
            "full_inside_s": full["inside"],
            "noop_s": noop["seconds"],
            "edit_s": edit["seconds"],
            "edit_pages": edit["pages_written"],
        }
        print(
            f"shop build --full, median of {len(fulls)}: {full['seconds']:.2f}s, "
            f"{pages / full['seconds']:,.0f} pages/s; peak memory {peak:,.0f} MB PSS",
            flush=True,
        )
        if hugos:
            h = median_run(hugos)
            hugo_total = h["seconds"] + h["search_seconds"]
            row.update(
                hugo_cpu_s=h["cpu"],
                hugo_s=h["seconds"],
                hugo_s_runs=[run["seconds"] for run in hugos],
                hugo_pages=h["pages"],
                hugo_pages_per_s=h["pages"] / h["seconds"],
                hugo_pagefind_s=h["search_seconds"],
                product_page_bytes=average_product_page(store / "public"),
                hugo_product_page_bytes=h["product_page_bytes"],
            )
            print_hugo(h, f"hugo, median of {len(hugos)}")
            print(
                f"average product page: ours {row['product_page_bytes']:,.0f} bytes, "
                f"Hugo's {h['product_page_bytes']:,.0f} bytes",
                flush=True,
            )
            row["cpu_ratio"] = (pages / full["cpu"]) / (h["pages"] / h["cpu"])
            row["ratio_with_search"] = (pages / full["seconds"]) / (h["pages"] / hugo_total)
            print(
                "pages/s ratios of the medians (shop ÷ hugo; above 1 is faster): "
                f"site with its search index, shop build --full vs hugo then pagefind: "
                f"{row['ratio_with_search']:.2f}; "
                f"shop build --full (search included) vs hugo alone (no search): "
                f"{row['pages_per_s'] / row['hugo_pages_per_s']:.2f}; "
                f"per CPU-second, shop (search included) vs hugo alone: {row['cpu_ratio']:.2f}",
                flush=True,
            )
            # Each turn's two builds ran a few seconds apart; when the machine's speed drifts
            # during a run, the ratio within a turn is steadier than the ratio of medians.
            turns = sorted(
                (ours["pages_written"] + ours["pages_unchanged"])
                / ours["seconds"]
                / (theirs["pages"] / theirs["seconds"])
                for ours, theirs in zip(fulls, hugos, strict=True)
            )
            row["turn_ratios"] = turns
            print(
                "pages/s ratio within each turn, shop build --full vs hugo alone: "
                + ", ".join(f"{ratio:.2f}" for ratio in turns)
                + f" (median {turns[(len(turns) - 1) // 2]:.2f})",
                flush=True,
            )
        rows.append(row)
    empty_trash()
    print("\n" + json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
