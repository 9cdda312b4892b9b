"""The static search index: Pagefind's binary run over the written pages, in shards.

Pagefind indexes about 1,000 product pages a second here, so one index over 10,000 products
would make every edit cost ten seconds. Pages are split into shards by a stable hash
of their path; only a shard whose searchable text changed is indexed again, and the
search page merges the shards in the browser (`mergeIndex`). The index is made by the
`pagefind` executable shipped in the `pagefind[extended]` wheel, as a subprocess, never
through its per-record Python API (which costs ~0.1 s a record).

Pagefind reads a folder, so each shard has a staging folder holding the search document of
each of its pages. The folder is flat (one file per page, named by a hash of the page's
path): creating a folder costs as much as writing a page on the disks measured here, and
10,000 product pages would need 10,000 of them. Each document carries its page's URL as
Pagefind metadata (`url`), which the search page links to.
"""

from __future__ import annotations

import hashlib
import html as html_text
import math
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from shop.generator.manifest import Manifest
from shop.generator.pages import Page
from shop.generator.templating import BuildError
from shop.generator.writer import file_digest, prune_empty_dirs, read_existing, write_new
from shop.generator.writer import stage as stage_file

SHARD_PAGES = 500
MAX_SHARDS = 40
BODY_MARKER = b"data-pagefind-body"
IGNORE_ALL = b'data-pagefind-ignore="all"'
PAGEFIND_ATTR = b"data-pagefind-"
_TAG_NAME = re.compile(rb"[A-Za-z][A-Za-z0-9-]*")
_HTML_TAG = re.compile(rb"<html\b[^>]*>", re.I)
_TITLE = re.compile(rb"<title\b[^>]*>.*?</title>", re.I | re.S)
_VOID = {
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"source",
    b"track",
    b"wbr",
}


def executable() -> Path:
    try:
        from pagefind_bin_extended import get_executable
    except ImportError:  # pragma: no cover - the plain wheel
        from pagefind_bin import get_executable
    return Path(get_executable())


# Pagefind's binary allocates with jemalloc, which reads its settings from this variable.
# By default it caches freed blocks of up to 32 KB per thread; larger ones (a compressor's
# state, a document's buffers) go back to the arena and its pages are returned and faulted
# in again, document after document. Caching blocks up to 1 MB cut its page faults from
# about 25,000 to 8,000 a shard of 485 documents and its CPU time by 7 %; a 10,000-product
# build took 2 to 3 % less (alternating full builds). Another allocator would ignore it; a
# setting of the user's own wins.
PAGEFIND_MALLOC_CONF = "tcache_max:1048576"


def shard_count(searchable: int) -> int:
    return min(MAX_SHARDS, max(1, math.ceil(searchable / SHARD_PAGES)))


def shard_of(path: str, shards: int) -> int:
    if shards == 1:
        return 0
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=4).digest(), "big") % shards


def search_document(html: bytes) -> bytes:
    """What Pagefind reads of a page, as a small page of its own: the `<html>` tag (language),
    the `<title>`, and the element marked `data-pagefind-body` without the elements inside it
    marked `data-pagefind-ignore="all"`, of which Pagefind reads nothing (so a neighbour's
    card in "related products" changes the page, not what a search finds on it).

    Pagefind parses every byte it is given, and the header, category navigation, footer and
    related products are most of a product page, so indexing these documents instead of the
    full pages halves its time and produces the same index (a test compares the two). A
    page that talks to Pagefind anywhere else (no single body marker, or `data-pagefind-*`
    outside it) is given whole."""
    marker = html.find(BODY_MARKER)
    if marker < 0 or html.find(BODY_MARKER, marker + 1) >= 0:
        return html
    start = html.rfind(b"<", 0, marker)
    tag = _TAG_NAME.match(html, start + 1)
    end = _element_end(html, start, tag.group().lower()) if tag else None
    if end is None or PAGEFIND_ATTR in html[:start] or PAGEFIND_ATTR in html[end:]:
        return html
    html_tag = _HTML_TAG.search(html, 0, start)
    title = _TITLE.search(html, 0, start)
    return b"".join(
        (
            b"<!doctype html>\n",
            html_tag.group() if html_tag else b"<html>",
            b"\n<head>",
            title.group() if title else b"",
            b"</head>\n<body>\n",
            _without_ignored(html[start:end]),
            b"\n</body>\n</html>\n",
        )
    )


def staged_document(html: bytes, url: str) -> bytes:
    """The search document Pagefind is given for a page at `url`: `search_document(html)` with
    the page's URL as the result's `url` metadata (its staged file name says nothing)."""
    document = search_document(html)
    tag = f'<span hidden data-pagefind-meta="url:{html_text.escape(url)}"></span>\n'.encode()
    end = document.rfind(b"</body>")
    if end < 0:
        return document + tag
    return document[:end] + tag + document[end:]


def document_name(path: str) -> str:
    """The file name of a page's search document in its shard's (flat) staging folder."""
    return hashlib.blake2b(path.encode(), digest_size=12).hexdigest() + ".html"


def body_digest(document: bytes) -> str:
    """The key of a page's search document: equal means the index would hold the same."""
    return hashlib.blake2b(document, digest_size=12).hexdigest()


def _element_end(html: bytes, start: int, name: bytes) -> int | None:
    """The offset just past the element opened at `start` (a `<name ...>` tag), counting
    nested elements of the same name; None when it is void, self-closed or never closed."""
    head_end = html.find(b">", start)
    if head_end < 0 or name in _VOID or html[head_end - 1 : head_end] == b"/":
        return None
    pattern = re.compile(rb"<(/?)" + re.escape(name) + rb"(?=[\s>/])", re.I)
    depth = 1
    at = head_end + 1
    while depth:
        found = pattern.search(html, at)
        if found is None:
            return None
        close = html.find(b">", found.end())
        if close < 0:
            return None
        if found.group(1):
            depth -= 1
        elif html[close - 1 : close] != b"/":
            depth += 1
        at = close + 1
    return at


def _without_ignored(body: bytes) -> bytes:
    """`body` without its `data-pagefind-ignore="all"` elements. (A plain `data-pagefind-ignore`
    element stays: Pagefind still reads meta, filters and a default image inside it.)"""
    parts = []
    at = 0
    while True:
        found = body.find(IGNORE_ALL, at)
        if found < 0:
            break
        start = body.rfind(b"<", at, found)
        tag = _TAG_NAME.match(body, start + 1) if start >= 0 else None
        end = _element_end(body, start, tag.group().lower()) if tag else None
        if end is None:
            parts.append(body[at : found + len(IGNORE_ALL)])
            at = found + len(IGNORE_ALL)
            continue
        parts.append(body[at:start])
        at = end
    parts.append(body[at:])
    return b"".join(parts)


def shard_key(entries: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path, body in sorted(entries):
        digest.update(f"{path}={body}\n".encode())
    return digest.hexdigest()


def make_shard(
    out: Path,
    shard: int,
    pages: list[tuple[str, str]],
    stage: Path,
    rendered: frozenset[str],
    *,
    pinned: bool = True,
) -> tuple[Path, dict[str, dict[str, Any]]]:
    """Index `pages` (path, URL) into a fresh folder beside `out/pagefind/<shard>/`; returns
    it with the files it holds (named as they will be once in place, with their sha256 and
    size). `place_shard` puts it in place once the pages are. The documents of the pages in
    `rendered` were staged by this build's render workers. `pinned`: Pagefind runs on one
    CPU (`_on_one_cpu`)."""
    sync_stage(out, stage, pages, rendered)
    fresh = out / "pagefind" / f".{shard}.tmp"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.parent.mkdir(parents=True, exist_ok=True)
    with _on_one_cpu(shard) if pinned else nullcontext():
        result = subprocess.run(
            [str(executable()), "--site", str(stage), "--output-path", str(fresh), "--silent"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env={"_RJEM_MALLOC_CONF": PAGEFIND_MALLOC_CONF, **os.environ},
        )
    if result.returncode != 0:
        shutil.rmtree(fresh, ignore_errors=True)
        message = (result.stderr or result.stdout).strip().splitlines()
        raise BuildError(f"pagefind failed (exit {result.returncode}): {message[-1] if message else ''}")
    files: dict[str, dict[str, Any]] = {}
    folders = [(str(fresh), f"pagefind/{shard}")]
    while folders:  # strings, not Paths: a shard holds about as many files as pages
        folder, name = folders.pop()
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, f"{name}/{entry.name}"))
            else:
                sha, size = file_digest(entry.path)
                files[f"{name}/{entry.name}"] = {"sha256": sha, "size": size}
    return fresh, dict(sorted(files.items()))


@contextmanager
def _on_one_cpu(shard: int) -> Iterator[None]:
    """Start what this thread starts on one CPU, each shard's in turn (a child inherits the
    affinity of the thread that starts it). Pagefind runs a thread per core and more for
    its file work; spread over the cores, they wake each other and flush each other's
    memory mappings. Kept on one core, its shards cost 8 % less CPU while the render
    workers keep both cores busy (measured on 2 cores: 1.31 against 1.43 CPU-s for six
    shards of 485 pages), and 24 % less on an idle machine."""
    if not hasattr(os, "sched_setaffinity"):  # pragma: no cover - not Linux
        yield
        return
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        yield
        return
    os.sched_setaffinity(0, {cpus[shard % len(cpus)]})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cpus)


def place_shard(out: Path, shard: int, fresh: Path) -> Path | None:
    """Swap a fresh index in as `out/pagefind/<shard>/`; returns the folder the old one was
    moved to, for the caller to remove (it is not served any more)."""
    final = out / "pagefind" / str(shard)
    old = out / "pagefind" / f".{shard}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
        fresh.rename(final)
        return old
    fresh.rename(final)
    return None


def stage_document(target: Path, document: bytes, *, in_place: bool = False) -> None:
    """Put a page's search document in its shard's staging folder, newer than the page.

    Called for every searchable page rendered, changed or not, so that a document is never
    older than the page it was made from (see `sync_stage`). An unchanged document is only
    touched, never written again: truncating a file frees its blocks, and on a file system
    mounted with `discard` and no journal (seen here) each freed extent is discarded there
    and then, stalling every writer of the disk; a `--full` build of an unchanged catalog
    rewrote all 10,000 documents. A changed one is written `in_place` when the caller's
    failure cannot leave it newer than its page (see `render_page`), else it replaces the
    old by rename, after removing it: on ext4, renaming over an existing file forces its
    data to disk first, which costs milliseconds a file on a busy disk, and a missing
    document is simply made again."""
    current = read_existing(target)
    if current == document:
        os.utime(target)
        return
    if in_place:
        write_new(target, document)
        return
    tmp = stage_file(target, document)
    if current is not None:
        os.unlink(target)
    os.rename(tmp, target)


def sync_stage(
    out: Path, stage: Path, pages: list[tuple[str, str]], rendered: frozenset[str] = frozenset()
) -> None:
    """Make `stage` hold exactly the search documents of `pages` (path, URL).

    Render workers write the document of every searchable page they render (`rendered`, not
    yet moved into place), after the page itself, so a document at least as new as its page
    is current; a missing or older one is made again from the page on disk. A stage in an
    earlier layout (a folder per page) is dropped and made again."""
    names = {document_name(path): (path, url) for path, url in pages}
    if stage.is_dir():
        for existing in os.scandir(stage):
            if existing.is_dir(follow_symlinks=False):
                shutil.rmtree(existing.path)
            elif existing.name not in names:
                os.unlink(existing.path)
    for name, (path, url) in names.items():
        if path in rendered:
            continue
        source = os.stat(out / path)
        target = stage / name
        try:
            if os.stat(target).st_mtime_ns >= source.st_mtime_ns:
                continue
        except FileNotFoundError:
            pass
        stage_document(target, staged_document((out / path).read_bytes(), url))


def remove_stage(stage: Path) -> None:
    shutil.rmtree(stage, ignore_errors=True)


class Indexer:
    """The search index, made while the pages render.

    A shard is settled as soon as every page of it that this build renders has been
    rendered: kept when its searchable text is what the last build indexed, else given to
    Pagefind at once (a subprocess, from a thread), so that indexing overlaps the rest of
    the rendering instead of following it. Each shard is indexed into a fresh folder that
    `commit` swaps into place only after the pages are in place; `abort` removes them.
    """

    def __init__(
        self,
        out: Path,
        stages: Path,
        pages: list[Page],
        rendering: Iterable[str],
        previous: Manifest,
        shard_by_path: dict[str, int],
        *,
        full: bool,
        jobs: int,
        progress: Callable[[str, int, int], None] | None,
    ) -> None:
        """`shard_by_path`: the shard of every searchable page."""
        self._out, self._stages, self._full, self._progress = out, stages, full, progress
        self._rendering = frozenset(rendering)
        self._shard_of = shard_by_path
        self._groups: dict[int, list[Page]] = {}
        for page in pages:
            if page.searchable:
                self._groups.setdefault(shard_by_path[page.path], []).append(page)
        self._bodies = {
            path: previous.pages.get(path, {}).get("body", "")
            for path in self._shard_of
            if path not in self._rendering
        }
        self._waiting = dict.fromkeys(self._groups, 0)
        for path in self._rendering:
            if path in self._shard_of:
                self._waiting[self._shard_of[path]] += 1
        self._old_keys: dict[str, str] = previous.search.get("shards", {})
        self._previous = previous
        self._indexed: dict[str, dict[str, dict[str, Any]]] = {}  # shard -> its files last time
        for name, entry in previous.files.items():
            if name.startswith("pagefind/"):
                self._indexed.setdefault(name.split("/", 2)[1], {})[name] = entry
        self.keys: dict[str, str] = {}
        self.files: dict[str, dict[str, Any]] = {}
        # Pagefind runs as a separate process per shard; as many at a time as render workers.
        self._pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        self._made: dict[int, Future[tuple[Path, dict[str, dict[str, Any]]]]] = {}
        self._removing: list[Future[None]] = []
        if progress:
            progress("search", 0, len(self._groups))
        # Shards with no page to render are settled with the first page rendered: by then
        # the render workers are forked, and a fork never copies a running Pagefind thread.
        self._idle = [shard for shard, count in self._waiting.items() if count == 0]

    def _settle_idle(self) -> None:
        idle, self._idle = self._idle, []
        for shard in idle:
            self._settle(shard)

    def rendered(self, path: str, body: str) -> None:
        """A page of this build was rendered, with this search document digest."""
        self._settle_idle()
        shard = self._shard_of.get(path)
        if shard is None:
            return
        self._bodies[path] = body
        self._waiting[shard] -= 1
        if self._waiting[shard] == 0:
            self._settle(shard)

    def _settle(self, shard: int) -> None:
        group = self._groups[shard]
        key = shard_key((page.path, self._bodies[page.path]) for page in group)
        self.keys[str(shard)] = key
        kept = self._indexed.get(str(shard), {})
        if (
            not self._full
            and self._old_keys.get(str(shard)) == key
            and kept
            and (self._out / "pagefind" / str(shard)).is_dir()
        ):
            self.files.update(kept)
            if self._progress:
                self._progress("search", 1, len(self._groups))
            return
        pages = [(page.path, page.url) for page in group]
        stage = self._stages / str(shard)
        # The shard settled last is the one the build may wait for once the pages are rendered:
        # it gets every CPU (a wait of 0.11 against 0.17 s at 1,000 products, eight
        # alternating builds; no difference measured at 10,000, where the listings still render).
        last = not any(self._waiting.values())
        self._made[shard] = self._pool.submit(
            make_shard, self._out, shard, pages, stage, self._rendering, pinned=not last
        )

    def commit(self, manifest: Manifest) -> bool:
        """Wait for Pagefind, put every fresh shard in place and record the index in the
        manifest; returns whether anything was indexed. Call once the pages are in place."""
        self._settle_idle()
        unsettled = [shard for shard, count in self._waiting.items() if count]
        if unsettled:  # pragma: no cover - every page rendered means every shard settled
            self.abort()
            raise BuildError(f"search shards {unsettled} were never complete")
        try:
            fresh = {shard: made.result() for shard, made in self._made.items()}
        except BaseException:
            self.abort()
            raise
        for shard, (folder, files) in sorted(fresh.items()):
            old = place_shard(self._out, shard, folder)
            if old is not None:  # thousands of small files: removed while the build finishes
                self._removing.append(self._pool.submit(shutil.rmtree, old, True))
            self.files.update(files)
            if self._progress:
                self._progress("search", 1, len(self._groups))
        if self._stages.is_dir():
            for folder in self._stages.iterdir():
                if not folder.name.isdigit() or int(folder.name) not in self._groups:
                    remove_stage(folder)
        for name in self._previous.files:  # shards no longer used
            if name.startswith("pagefind/") and name not in self.files:
                (self._out / name).unlink(missing_ok=True)
                prune_empty_dirs(self._out, (self._out / name).parent)
        manifest.files.update(self.files)
        manifest.search = {"shards": self.keys}
        return bool(self._made)

    def close(self) -> None:
        """Wait until the replaced indexes are removed."""
        self._pool.shutdown()
        for removing in self._removing:
            removing.result()

    def abort(self) -> None:
        """The build failed: stop, and remove every fresh index (the old ones stay)."""
        self._pool.shutdown(cancel_futures=True)
        for shard in self._made:
            shutil.rmtree(self._out / "pagefind" / f".{shard}.tmp", ignore_errors=True)
