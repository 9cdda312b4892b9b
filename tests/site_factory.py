"""A synthetic built storefront of the shape `shop build` writes, for publish tests and bench.

Product pages, paginated category listings, a home page, fingerprinted css/js, one derived
image per product, a Pagefind-like search index (hashed chunks plus an entry point), a
sitemap, a feed and robots.txt, plus what must never be shipped (dotfiles, a source map).
Every file is derived from the product list, so editing one product changes exactly its
page, the listings and indexes that show it, and the search chunks that hold it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

PER_PAGE = 24
FEATURED = 8
SEARCH_CHUNK = 500
CATEGORIES = ("chairs", "tables", "lamps", "rugs", "shelves")


def _h(data: bytes, n: int) -> str:
    return hashlib.sha256(data).hexdigest()[:n]


@dataclass
class Product:
    number: int
    name: str
    price: int  # minor units
    category: str

    @property
    def slug(self) -> str:
        return f"product-{self.number:05d}"


@dataclass
class StaticSite:
    root: Path
    products: list[Product] = field(default_factory=list)
    css_version: int = 1

    @classmethod
    def create(cls, root: Path, count: int) -> StaticSite:
        site = cls(
            root,
            [Product(i, f"Product {i}", 1000 + i, CATEGORIES[i % len(CATEGORIES)]) for i in range(count)],
        )
        site.write()
        return site

    # -- changes ---------------------------------------------------------------------------

    def product(self, number: int) -> Product:
        return next(p for p in self.products if p.number == number)

    def edit(self, number: int, *, price: int | None = None, name: str | None = None) -> None:
        product = self.product(number)
        product.price = price if price is not None else product.price + 100
        product.name = name or product.name
        self.write()

    def remove(self, number: int) -> None:
        self.products = [p for p in self.products if p.number != number]
        self.write()

    def add(self, number: int, category: str = "chairs") -> None:
        self.products.append(Product(number, f"Product {number}", 5000, category))
        self.write()

    # -- rendering -------------------------------------------------------------------------

    def image(self, product: Product) -> tuple[str, bytes]:
        data = (f"RIFF-webp-{product.slug}-".encode() * 40)[:1500]
        return f"images/{product.slug}-{_h(data, 10)}-640.webp", data

    def render(self) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        css = f"body{{font:16px sans-serif}} /* v{self.css_version} */".encode()
        js = b"document.querySelectorAll('[data-add]').forEach(b=>b.onclick=()=>add(b));"
        css_path, js_path = f"assets/app.{_h(css, 8)}.css", f"assets/app.{_h(js, 8)}.js"
        files[css_path], files[js_path] = css, js
        files[js_path + ".map"] = b'{"version":3,"sources":["app.ts"]}'
        files["assets/favicon.ico"] = b"\x00\x00\x01\x00icon"
        head = f'<link rel="stylesheet" href="/{css_path}"><script src="/{js_path}" defer></script>'

        def page(title: str, body: str) -> bytes:
            return (
                f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title>{head}"
                f"</head><body>{body}</body></html>"
            ).encode()

        def card(p: Product) -> str:
            return (
                f'<a href="/products/{p.slug}/"><img src="/{self.image(p)[0]}" alt="">'
                f"{p.name} {p.price / 100:.2f} EUR</a>"
            )

        for p in self.products:
            image_path, image = self.image(p)
            files[image_path] = image
            files[f"products/{p.slug}/index.html"] = page(
                p.name,
                f'<h1 data-pagefind-body>{p.name}</h1><img src="/{image_path}" alt="">'
                f"<p>{p.price / 100:.2f} EUR</p>"
                f'<a href="/categories/{p.category}/">{p.category}</a>',
            )
        for category in CATEGORIES:
            members = [p for p in self.products if p.category == category]
            pages = [members[i : i + PER_PAGE] for i in range(0, len(members), PER_PAGE)] or [[]]
            for n, chunk in enumerate(pages, start=1):
                path = f"categories/{category}/" + ("" if n == 1 else f"page/{n}/") + "index.html"
                files[path] = page(category, "".join(card(p) for p in chunk))
        files["index.html"] = page(
            "Home",
            "".join(card(p) for p in self.products[:FEATURED])
            + "".join(f'<a href="/categories/{c}/">{c}</a>' for c in CATEGORIES),
        )
        files["404.html"] = page("Not found", "<h1>Not found</h1>")
        entries = []
        for start in range(0, len(self.products), SEARCH_CHUNK):
            chunk = self.products[start : start + SEARCH_CHUNK]
            data = "\n".join(f"{p.slug} {p.name}" for p in chunk).encode()
            files[f"pagefind/index/en_{_h(data, 7)}.pf_index"] = data
            for p in chunk:
                fragment = f"{p.slug}|{p.name}|{p.price}".encode()
                files[f"pagefind/fragment/en_{_h(fragment, 7)}.pf_fragment"] = fragment
            entries.append(_h(data, 7))
        files["pagefind/pagefind.js"] = b"export const search = () => fetch('pagefind-entry.json');"
        files["pagefind/pagefind-entry.json"] = (
            '{"version":"1.5.2","indexes":["' + '","'.join(entries) + '"]}'
        ).encode()
        urls = ["/"] + [f"/products/{p.slug}/" for p in self.products]
        files["sitemap.xml"] = (
            '<?xml version="1.0"?><urlset>'
            + "".join(f"<url><loc>https://shop.test{u}</loc></url>" for u in urls)
            + "</urlset>"
        ).encode()
        files["feed.xml"] = (
            "<rss><channel>"
            + "".join(
                f"<item><title>{p.name}</title><link>/products/{p.slug}/</link><description>{p.price}"
                "</description></item>"
                for p in self.products[-10:]
            )
            + "</channel></rss>"
        ).encode()
        files["robots.txt"] = b"User-agent: *\nSitemap: https://shop.test/sitemap.xml\n"
        files[".env"] = b"SHOP_SECRET_KEY=never-published\n"
        files["assets/.DS_Store"] = b"\x00junk"
        return files

    def write(self) -> None:
        files = self.render()
        self.root.mkdir(parents=True, exist_ok=True)
        for existing in [p for p in self.root.rglob("*") if p.is_file()]:
            if existing.relative_to(self.root).as_posix() not in files:
                existing.unlink()
        for relative, data in files.items():
            path = self.root / relative
            if path.is_file() and path.read_bytes() == data:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def shipped(self) -> dict[str, bytes]:
        """What a publish must put in the target: everything but dotfiles and source maps."""
        return {
            k: v
            for k, v in self.render().items()
            if not any(part.startswith(".") for part in k.split("/")) and not k.endswith(".map")
        }

    def digests(self) -> dict[str, str]:
        """MD5 of each shipped file, as S3 reports it in a listing's ETag."""
        return {key: hashlib.md5(data).hexdigest() for key, data in self.shipped().items()}


LINK = re.compile(rb'(?:href|src)="/([^"]*)"')


def references(html: bytes) -> list[str]:
    """Site paths a page points at (`/x/` means `x/index.html`)."""
    out = []
    for match in LINK.findall(html):
        path = match.decode()
        out.append(path + "index.html" if path.endswith("/") or not path else path)
    return out
