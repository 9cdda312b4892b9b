"""`build_site`: catalog -> page models -> render -> images -> search index -> write.

Read every source first (one read transaction), then decide from the manifest which
outputs' inputs changed, render only those, and commit the result: staged files are
renamed into place only when every page rendered, outputs no longer produced are
deleted, and the manifest (outside the output folder) records what each file was made of.
"""

from __future__ import annotations

import gc
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jinja2 import TemplateError

from shop import __version__
from shop.config import Settings
from shop.generator import assets as asset_files
from shop.generator.data import digest
from shop.generator.manifest import Manifest, manifest_path
from shop.generator.snapshot import open_snapshot
from shop.generator.stamp import catalog_stamp
from shop.generator.templating import BuildError, Memo, describe_template_error, make_environment
from shop.generator.themes import (
    ThemeError,
    merged_settings,
    static_files,
    template_hashes,
    theme_chain,
)
from shop.generator.writer import prune_empty_dirs, sha256, stage

if TYPE_CHECKING:
    from shop.generator.pages import Page, Site
    from shop.generator.render import Rendered

# progress(stage, advance, total): stage is "pages", "images" or "search".
Progress = Callable[[str, int, int], None]

THEME_DEFAULTS: dict[str, Any] = {"products_per_page": 48}


@dataclass
class BuildSummary:
    pages_written: int = 0
    pages_unchanged: int = 0
    pages_deleted: int = 0
    images_written: int = 0
    images_reused: int = 0
    seconds: float = 0.0
    search_indexed: bool = False
    out: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["timings"] = {k: round(v, 3) for k, v in self.timings.items()}
        return data

    def line(self) -> str:
        return (
            f"{self.pages_written} pages written, {self.pages_unchanged} unchanged, "
            f"{self.pages_deleted} deleted; {self.images_written} images processed, "
            f"{self.images_reused} reused; {self.seconds:.2f}s"
        )


def build_site(
    settings: Settings,
    *,
    out: Path | None = None,
    full: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> BuildSummary:
    """Build the storefront into `out` (the store's output folder by default)."""
    try:
        return _build(settings, out=out, full=full, jobs=jobs, progress=progress)
    finally:
        # The catalog and the page models were frozen (below): hand them back to the
        # collector, so that a long-running process (the preview) frees them.
        gc.unfreeze()


def _build(
    settings: Settings,
    *,
    out: Path | None,
    full: bool,
    jobs: int | None,
    progress: Progress | None,
) -> BuildSummary:
    started = time.perf_counter()
    out = (out or settings.output_path).resolve()
    jobs = max(1, jobs or os.cpu_count() or 1)
    work = settings.dir / ".shop"
    mpath = manifest_path(settings.dir, out, settings.output_path)
    with _collector_paused():
        previous = Manifest.load(mpath)
        if full:
            # Every page is rendered, so the last build's page entries are never read. Dropped
            # now, before the catalog is read, the catalog reuses their memory (about 25 MB at
            # 50,000 products) instead of adding to it, in this process and so in its workers.
            previous.pages = {}

    clock = _Clock()
    try:
        chain = theme_chain(settings.theme, settings.themes_path)
    except ThemeError as exc:
        raise BuildError(str(exc)) from None
    theme_settings = {**THEME_DEFAULTS, **merged_settings(chain)}
    statics = asset_files.fingerprint(static_files(chain))
    templates = template_hashes(chain)
    with open_snapshot(settings.resolved_database_url) as db:
        # The stamp and the catalog come from the same snapshot.
        stamp = digest(
            repr(
                (
                    _settings_key(settings),
                    [str(t.root) for t in chain],
                    sorted(theme_settings.items()),
                    sorted(a.output for a in statics.values()),
                    sorted(templates.items()),
                    str(out),
                    catalog_stamp(db),
                )
            )
        )
        if not full and stamp == previous.stamp and _outputs_intact(out, previous):
            clock.lap("read")
            return BuildSummary(
                pages_unchanged=len(previous.pages),
                images_reused=previous.image_sources,
                out=str(out),
                seconds=time.perf_counter() - started,
                timings=clock.laps,
            )
        # The rest of the generator is imported only now: a build with nothing to do (above)
        # never loads it (0.11 s).
        from shop.generator import images, search
        from shop.generator.pages import Site, plan
        from shop.generator.render import RenderJob, discard, render_all
        from shop.generator.source import load_catalog

        with _collector_paused():
            catalog = load_catalog(db)
    clock.lap("read")

    base = urlsplit(settings.site_url).path.rstrip("/")
    site = Site(
        catalog,
        site_url=settings.site_url,
        base=base,
        per_page=int(theme_settings.get("products_per_page") or 48),
        currency=settings.currency,
        description=settings.store_description or str(theme_settings.get("tagline") or ""),
    )
    with _collector_paused():
        pages = plan(site)
    searchable = [p.path for p in pages if p.searchable]
    shards = search.shard_count(len(searchable))
    # Shards that hold at least one page (the search page merges exactly these).
    shard_by_path = {path: search.shard_of(path, shards) for path in searchable}
    live_shards = sorted(set(shard_by_path.values()))

    (work / "cache" / "templates").mkdir(parents=True, exist_ok=True)
    env = make_environment(
        chain,
        currency=settings.currency,
        bytecode_dir=work / "cache" / "templates",
        memo=Memo.for_catalog(len(catalog.products), sum(1 for p in pages if p.template == "listing.html")),
    )
    env.globals.update(
        site={
            "name": settings.store_name,
            "url": settings.site_url,
            "base": base,
            "api_url": settings.api_url,
            "currency": settings.currency,
            "locale": settings.locale,
            "country": settings.country,
            "search_shards": live_shards,
            "shipping": catalog.shipping,
        },
        theme={"name": chain[0].name, "settings": theme_settings},
        asset=asset_files.AssetUrls(statics, base),
        nav=site.nav(),
    )
    roots = [t.templates for t in chain]
    global_key = digest(
        repr(
            (
                _settings_key(settings),
                [t.name for t in chain],
                sorted(theme_settings.items()),
                sorted(a.output for a in statics.values()),
                catalog.nav_key,
                live_shards,
                [(s.name, s.price, s.free_over, s.delivery_estimate) for s in catalog.shipping],
            )
        )
    )
    _check_unique(pages, statics)
    _compile(env, pages, roots)

    clock.lap("plan")
    # The catalog and the pages were frozen as they were made (`_collector_paused`); the
    # environment and its compiled templates, made since, also live until the build ends.
    gc.freeze()
    everything = full or previous.global_key != global_key
    if everything:  # every page is rendered: the last build's page entries are not needed
        previous.pages = {}
    changed_templates = {
        n for n in set(templates) | set(previous.templates) if templates.get(n) != previous.templates.get(n)
    }
    prefix = f"{out}{os.sep}"
    dirty = [
        i
        for i, page in enumerate(pages)
        if everything or _is_dirty(page, previous, changed_templates, prefix)
    ]
    # Searchable pages first, shard by shard, so that each search shard is complete, and
    # indexed by Pagefind, while the rest renders.
    dirty.sort(key=lambda i: shard_by_path.get(pages[i].path, shards))
    if progress:
        progress("pages", 0, len(dirty))

    stages = work / "search" / mpath.stem
    # A site built where none is yet is built in a folder beside it, moved into place at the
    # end: nobody can see it half-made, so its files are written under their own names.
    with _new_site(out) as (site_dir, fresh):
        job = RenderJob(
            env=env,
            pages=pages,
            out=site_dir,
            previous=previous.files,
            roots=roots,
            search_stage=stages,
            shards=shards,
            fresh=fresh,
        )
        manifest = Manifest(templates=templates, global_key=global_key)
        summary = BuildSummary(out=str(out))
        staged_extra: list[tuple[str, str]] = []
        feed_cache = work / "cache" / f"feed-{mpath.stem}.pickle"

        def machine_files() -> None:
            """Sitemap, robots, feed and assets: staged by this process while the workers render
            (after the pages when there are none, while Pagefind indexes their shards)."""
            started = time.perf_counter()
            with _collector_paused():  # the feed's cache of items is one large unpickling
                for name, data in _machine_files(site, pages):
                    _stage_if_changed(site_dir, name, data, previous, manifest, staged_extra, summary)
                _stage_feed(site_dir, site, settings, previous, manifest, staged_extra, feed_cache, full)
            for asset in statics.values():
                _stage_if_changed(
                    site_dir, asset.output, asset.data, previous, manifest, staged_extra, summary
                )
            clock.laps["machine files (during render)"] = time.perf_counter() - started

        indexer = search.Indexer(
            site_dir,
            stages,
            pages,
            (pages[i].path for i in dirty),
            previous,
            shard_by_path,
            full=full,
            jobs=jobs,
            progress=progress,
        )
        rendered: list[Rendered] = []  # render_all removes its own staged files when it fails
        try:
            rendered = render_all(
                job,
                dirty,
                jobs=jobs,
                progress=(lambda n: progress("pages", n, len(dirty))) if progress else None,
                meanwhile=machine_files,
                each=lambda result: indexer.rendered(result.path, result.body),
            )
            clock.lap("render")
            gc.freeze()  # render_all unfroze what it froze for its workers
            _record_pages(manifest, previous, pages, rendered, summary)
        except BaseException:
            indexer.abort()
            discard(rendered)
            for _, tmp in staged_extra:
                os.unlink(tmp)
            raise

        try:
            # Commit: everything rendered; move it into place.
            for result in rendered:
                if result.staged:
                    os.replace(result.staged, site_dir / result.path)
            for name, tmp in staged_extra:
                os.replace(tmp, site_dir / name)
            clock.lap("write")
            summary.images_written, summary.images_reused = images.place_all(
                [i for p in catalog.products.values() for i in p.images],
                settings.media_path,
                site_dir,
                work / "cache",
                previous,
                manifest,
                jobs=jobs,
                progress=progress,
            )
            clock.lap("images")
            if not fresh:
                _delete_stale(out, previous, manifest, summary)
        except BaseException:
            indexer.abort()
            raise
        manifest.image_sources = summary.images_written + summary.images_reused
        # The pages are recorded: their part of the manifest, its largest, is serialized
        # now, while Pagefind finishes, rather than after it (when the old index is being
        # removed by a thread this would hold the interpreter from).
        pages_json = manifest.pages_json()
        try:
            # What Pagefind has not finished while the pages rendered.
            summary.search_indexed = indexer.commit(manifest)
        except BaseException:
            if not fresh:
                # The pages are in place: record them (without the stamp, so the next build
                # looks again and re-indexes), then report the failure.
                manifest.search = {}
                manifest.save(mpath, pages_json=pages_json)
            indexer.close()
            raise
        if fresh:
            try:
                site_dir.rename(out)
            except OSError as exc:
                indexer.close()
                reason = exc.strerror or exc
                raise BuildError(f"{out}: could not move the new site into place ({reason})") from None
    clock.lap("search")
    manifest.stamp = stamp
    manifest.save(mpath, pages_json=pages_json)
    indexer.close()
    summary.seconds = time.perf_counter() - started
    summary.timings = clock.laps
    return summary


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading the catalog and planning the pages make a few objects per row and page and no
    reference cycles to collect, yet the cyclic garbage collector would walk the growing
    heap again and again (a third of the read time at 10,000 products).

    What was made meanwhile is then frozen (`build_site` unfreezes it when the build ends):
    left young, it was walked whole by the next collections, 0.13 s of a one-product edit at
    10,000 products. Freezing keeps nothing alive; it only keeps the collector away."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _settings_key(settings: Settings) -> tuple[Any, ...]:
    return (
        __version__,
        settings.store_name,
        settings.store_description,
        settings.site_url,
        settings.api_url,
        settings.currency,
        settings.locale,
        settings.country,
        str(settings.media_path.resolve()),
    )


@contextmanager
def _new_site(out: Path) -> Iterator[tuple[Path, bool]]:
    """The folder to build in and whether it is fresh: `out` itself when it exists, else a
    new folder beside it (on the same file system, so that the build can rename it to
    `out`), removed if the build fails. One a killed build left behind is removed."""
    if os.path.lexists(out):
        yield out, False
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.building-*"):
        shutil.rmtree(stale, ignore_errors=True)
    folder = out.parent / f".{out.name}.building-{os.getpid()}"
    folder.mkdir()
    try:
        yield folder, True
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _outputs_intact(out: Path, previous: Manifest) -> bool:
    # Plain strings: building 20,000 Path objects cost more than the stat calls themselves.
    exists, prefix = os.path.exists, f"{out}{os.sep}"
    return bool(previous.files) and all(exists(prefix + name) for name in previous.files)


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._last
        self._last = now


def _check_unique(pages: list[Page], statics: dict[str, asset_files.Asset]) -> None:
    """Two sources writing the same output file is an error, never a silent overwrite."""
    seen: dict[str, str] = {}
    for path, what in [(p.path, p.template) for p in pages] + [
        (a.output, str(a.source)) for a in statics.values()
    ]:
        if path in seen:
            raise BuildError(
                f"{path}: produced twice (by {seen[path]} and {what}); check for duplicate slugs"
            )
        seen[path] = what


def _compile(env: Any, pages: list[Page], roots: list[Path]) -> None:
    """Load every page template up front, so a syntax error stops the build before any work."""
    for name in sorted({p.template for p in pages}):
        try:
            env.get_template(name)
        except TemplateError as exc:
            raise BuildError(describe_template_error(exc, roots)) from None


def _is_dirty(page: Page, previous: Manifest, changed: set[str], prefix: str) -> bool:
    before = previous.pages.get(page.path)
    if before is None or before.get("key") != page.key:
        return True
    if changed and any(name in changed for name in before.get("templates", ())):
        return True
    # A string path, not a Path: this runs for every page of every rebuild.
    return page.path not in previous.files or not os.path.exists(prefix + page.path)


def _record_pages(
    manifest: Manifest,
    previous: Manifest,
    pages: list[Page],
    rendered: list[Rendered],
    summary: BuildSummary,
) -> None:
    by_path = {r.path: r for r in rendered}
    for page in pages:
        result = by_path.get(page.path)
        if result is None:  # not rendered: carried over from the previous build
            manifest.pages[page.path] = previous.pages[page.path]
            manifest.files[page.path] = previous.files[page.path]
            summary.pages_unchanged += 1
            continue
        entry: dict[str, Any] = {"key": page.key, "templates": result.templates}
        if result.body:
            entry["body"] = result.body
        manifest.pages[page.path] = entry
        manifest.files[page.path] = {"sha256": result.sha256, "size": result.size}
        if result.written:
            summary.pages_written += 1
        else:
            summary.pages_unchanged += 1


def _machine_files(site: Site, pages: list[Page]) -> list[tuple[str, bytes]]:
    from shop.generator import feeds

    return [*feeds.sitemap_files(site, pages).items(), ("robots.txt", feeds.robots_txt(site))]


def _stage_feed(
    out: Path,
    site: Site,
    settings: Settings,
    previous: Manifest,
    manifest: Manifest,
    staged: list[tuple[str, str]],
    cache_file: Path,
    full: bool,
) -> None:
    """The feed is the one large file: made only when a product or the settings changed."""
    from shop.generator import feeds

    name = feeds.FEED_PATH
    key = digest(manifest.global_key + "|".join(p.page_key for p in site.catalog.products.values()))
    manifest.derived[name] = key
    before = previous.files.get(name)
    if not full and previous.derived.get(name) == key and before and (out / name).exists():
        manifest.files[name] = before
        return
    tmp, sha, size = feeds.stage_merchant_feed(
        out / name,
        site,
        title=settings.store_name,
        cache_file=cache_file,
        cache_key=manifest.global_key,
        previous=None if full else before,
    )
    manifest.files[name] = {"sha256": sha, "size": size}
    if before and before.get("sha256") == sha and (out / name).exists():
        tmp.unlink()
    else:
        staged.append((name, str(tmp)))


def _stage_if_changed(
    out: Path,
    name: str,
    data: bytes,
    previous: Manifest,
    manifest: Manifest,
    staged: list[tuple[str, str]],
    summary: BuildSummary,
) -> None:
    digest_ = sha256(data)
    manifest.files[name] = {"sha256": digest_, "size": len(data)}
    before = previous.files.get(name)
    if before and before.get("sha256") == digest_ and (out / name).exists():
        return
    staged.append((name, str(stage(out / name, data))))


def _delete_stale(out: Path, previous: Manifest, manifest: Manifest, summary: BuildSummary) -> None:
    for name in previous.files:
        if name in manifest.files or name.startswith("pagefind/"):
            continue
        target = out / name
        target.unlink(missing_ok=True)
        if name.endswith(".html"):
            summary.pages_deleted += 1
        prune_empty_dirs(out, target.parent)
