"""The Jinja2 environment of a build: the theme loader chain, filters, and template tracking.

Every template a page touches while it renders (its own, the layouts it extends, what it
includes or imports) is recorded, so the manifest knows which pages a template edit
affects. Recording happens in `_load_template`, which Jinja calls for every lookup,
cached or not, rather than being declared by hand.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
    select_autoescape,
)
from markupsafe import (
    Markup,
    _escape_inner,  # the C speedup when built, else its Python twin
)
from markupsafe import escape as markupsafe_escape

from shop.core.money import Money, exponent
from shop.generator.themes import Theme

SYMBOLS = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "JPY": "¥",
    "CHF": "CHF ",
    "SEK": "kr ",
    "DKK": "kr ",
}


class BuildError(Exception):
    """A build that cannot finish: one line naming the file (and line) at fault."""


_new_str = str.__new__


def escape(value: Any, /) -> Markup:
    """markupsafe's `escape`, with the common cases short: every `{{ ... }}` of an autoescaped
    template calls it (about 130 times a product page), and markupsafe builds each result
    through `Markup.__new__`, a Python function. Same results (a test holds them equal)."""
    kind = type(value)
    if kind is str:
        return _new_str(Markup, _escape_inner(value))
    if kind is Markup:
        return value  # already safe, and immutable: markupsafe would return an equal copy
    if kind is int:
        return _new_str(Markup, str(value))  # digits and a sign: nothing to escape
    return markupsafe_escape(value)


class FastEscapeTemplate(Template):
    """Its compiled code calls `escape` above: the name is a global of the template's module
    (imported there from jinja2.runtime), so it is replaced there, for this template only."""

    @classmethod
    def from_code(cls, environment: Environment, code: Any, globals: Any, uptodate: Any = None) -> Template:
        template = super().from_code(environment, code, globals, uptodate)
        template.root_render_func.__globals__["escape"] = escape
        return template


class TrackingEnvironment(Environment):
    recording: set[str] | None = None
    template_class = FastEscapeTemplate

    def _load_template(self, name: str, globals: Any) -> Template:
        if self.recording is not None:
            self.recording.add(name)
        return super()._load_template(name, globals)


class Fragments:
    """`fragment("partials/header.html")`: a partial that reads only the globals (site, theme,
    nav, asset) looks the same on every page, so it is rendered once per build and process.
    The templates it used are still recorded for every page that shows it."""

    def __init__(self, env: TrackingEnvironment) -> None:
        self._env = env
        self._cache: dict[str, tuple[Markup, set[str]]] = {}

    def __call__(self, name: str) -> Markup:
        env = self._env
        hit = self._cache.get(name)
        if hit is None:
            outer, env.recording = env.recording, set()
            try:
                html = Markup(env.get_template(name).render())
            finally:
                used, env.recording = env.recording or set(), outer
            hit = self._cache[name] = (html, used)
        if env.recording is not None:
            env.recording |= hit[1]
        return hit[0]


class Memo:
    """`{% call memo(key...) %}...{% endcall %}`: the block's output, made once per build and
    process for each key while it is among the `size` most recently used. For markup that
    depends only on its key (and the globals), such as a product card shown in many listings
    and "related products" shelves; the key must name everything the block shows. Bounded
    (`for_catalog`), because at 50,000 products every card of the catalog would otherwise be
    held in every render worker."""

    # About 1.1 KB a product card: 24,000 is some 26 MB in each render worker.
    LIMIT = 24_000

    @classmethod
    def for_catalog(cls, products: int, listing_pages: int) -> Memo:
        """Room for every product's card twice (a listing's heading level and a product page's
        shelf of related products) and a listing's first few (eagerly loaded) cards, up to
        LIMIT. Product pages render in search-shard order, which scatters a category's
        neighbours, so a cache smaller than the catalog's cards misses most of them: at 10,000
        products 4,096 entries rendered 44,701 cards of 60,157, and 24,000 rendered 21,463
        (about 9 % of the build's render CPU saved)."""
        return cls(min(cls.LIMIT, 2 * products + 4 * listing_pages + 64))

    def __init__(self, size: int = 4096) -> None:
        self._cache: dict[tuple[Any, ...], Markup] = {}
        self._size = size

    def __call__(self, *key: Any, caller: Any) -> Markup:
        cache = self._cache
        hit = cache.pop(key, None)
        if hit is None:
            hit = Markup(caller())
            if len(cache) >= self._size:
                del cache[next(iter(cache))]  # the least recently used
        cache[key] = hit
        return hit


def make_environment(
    chain: list[Theme], *, currency: str, bytecode_dir: Path | None = None, memo: Memo | None = None
) -> TrackingEnvironment:
    prefixes: dict[str, FileSystemLoader] = {}
    for theme in chain:  # the last theme of a name wins, so "default:" is the shipped one
        prefixes[theme.name] = FileSystemLoader(str(theme.templates))
    loader = ChoiceLoader(
        [
            PrefixLoader(prefixes, delimiter=":"),
            FileSystemLoader([str(t.templates) for t in chain if t.templates.is_dir()]),
        ]
    )
    env = TrackingEnvironment(
        loader=loader,
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,
        # Compiled templates kept between builds (keyed by the template's source checksum).
        bytecode_cache=FileSystemBytecodeCache(str(bytecode_dir)) if bytecode_dir else None,
    )
    env.filters["money"] = lambda amount, cur=None: format_money(amount, cur or currency)
    env.filters["money_plain"] = lambda amount, cur=None: Money(int(amount), cur or currency).format()
    env.filters["jsonld"] = jsonld
    env.filters["css"] = css_value
    env.globals["fragment"] = Fragments(env)
    env.globals["memo"] = memo or Memo()
    return env


def format_money(amount: int, currency: str) -> str:
    exp = exponent(currency)
    value = f"{amount / 10**exp:,.{exp}f}" if exp else f"{amount:,}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency}"


# One encoder for every page (json.dumps with options makes a new one per call), without the
# check for circular data, which page data never is: a product page's three blocks take 23
# instead of 32 µs.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def jsonld(data: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block: nothing in it can close the tag."""
    text = _JSON.encode(data)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def css_value(value: Any) -> Markup:
    """A theme setting placed inside <style>: entities mean nothing there, so instead of
    escaping, drop what could end the declaration or the element."""
    return Markup("".join(ch for ch in str(value) if ch not in "<>{};\\"))


def describe_template_error(exc: BaseException, roots: list[Path]) -> str:
    """`file:line: message` for an error raised by or inside a template."""
    if isinstance(exc, TemplateSyntaxError):
        where = exc.filename or exc.name or "template"
        return f"{where}:{exc.lineno}: {exc.message}"
    location = _innermost_template_frame(exc.__traceback__, roots)
    message = str(exc) if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
    return f"{location}: {message}" if location else message


def _innermost_template_frame(tb: TracebackType | None, roots: list[Path]) -> str | None:
    found = None
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if any(filename.startswith(str(root)) for root in roots):
            found = f"{filename}:{lineno}"
    return found
