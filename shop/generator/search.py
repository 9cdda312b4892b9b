"""The static search index: Pagefind's binary run over the written pages, in shards.

Pagefind indexes about 1,000 product pages a second here, so one index over 10,000 products
would make every edit cost ten seconds. Pages are split into shards by a stable hash
of their path; only a shard whose searchable text changed is indexed again, and the
search page merges the shards in the browser (`mergeIndex`). The index is made by the
`pagefind` executable shipped in the `pagefind[extended]` wheel, as a subprocess, never
through its per-record Python API (which costs ~0.1 s a record).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from shop.generator.manifest import Manifest
from shop.generator.pages import Page
from shop.generator.templating import BuildError
from shop.generator.writer import file_sha256, prune_empty_dirs

SHARD_PAGES = 500
MAX_SHARDS = 40
BODY_MARKER = b"data-pagefind-body"
# An element marked ignored, up to its closing tag (the theme does not nest these).
IGNORED = re.compile(rb"<(\w+)[^>]*\bdata-pagefind-ignore\b[^>]*>.*?</\1>", re.S)


def executable() -> Path:
    try:
        from pagefind_bin_extended import get_executable
    except ImportError:  # pragma: no cover - the plain wheel
        from pagefind_bin import get_executable
    return Path(get_executable())


def shard_count(searchable: int) -> int:
    return min(MAX_SHARDS, max(1, math.ceil(searchable / SHARD_PAGES)))


def shard_of(path: str, shards: int) -> int:
    if shards == 1:
        return 0
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=4).digest(), "big") % shards


def body_digest(html: bytes) -> str:
    """A hash of what Pagefind reads of a page: from the body marker to the end of <main>,
    without elements marked `data-pagefind-ignore` (a neighbour's card in "related products"
    changes the page, not what a search finds on it)."""
    start = html.find(BODY_MARKER)
    if start < 0:
        return ""
    end = html.find(b"</main>", start)
    body = IGNORED.sub(b"", html[start : end if end > 0 else None])
    return hashlib.blake2b(body, digest_size=12).hexdigest()


def shard_key(entries: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path, body in sorted(entries):
        digest.update(f"{path}={body}\n".encode())
    return digest.hexdigest()


def index_shard(out: Path, shard: int, pages: list[str], stage: Path) -> list[str]:
    """(Re)make `out/pagefind/<shard>/` from `pages`; returns the files it now holds.

    Pagefind reads a folder, so each shard has a persistent staging folder of hard links
    to its pages (same relative paths, so result URLs are right); only links whose page
    was rewritten since are renewed.
    """
    _sync_stage(out, stage, pages)
    final = out / "pagefind" / str(shard)
    fresh = out / "pagefind" / f".{shard}.tmp"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(executable()), "--site", str(stage), "--output-path", str(fresh), "--silent"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(fresh, ignore_errors=True)
        message = (result.stderr or result.stdout).strip().splitlines()
        raise BuildError(f"pagefind failed (exit {result.returncode}): {message[-1] if message else ''}")
    old = out / "pagefind" / f".{shard}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    fresh.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return [p.relative_to(out).as_posix() for p in sorted(final.rglob("*")) if p.is_file()]


def _sync_stage(out: Path, stage: Path, pages: list[str]) -> None:
    wanted = set(pages)
    if stage.is_dir():
        for existing in stage.rglob("*.html"):
            if existing.relative_to(stage).as_posix() not in wanted:
                existing.unlink()
    for relative in pages:
        source = out / relative
        target = stage / relative
        try:
            if os.stat(target).st_ino == os.stat(source).st_ino:
                continue
            os.unlink(target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:  # another file system: copy instead
            shutil.copyfile(source, target)


def remove_stage(stage: Path) -> None:
    shutil.rmtree(stage, ignore_errors=True)


def update_index(
    out: Path,
    stages: Path,
    pages: list[Page],
    manifest: Manifest,
    previous: Manifest,
    shards: int,
    *,
    full: bool,
    jobs: int,
    progress: Callable[[str, int, int], None] | None,
) -> bool:
    """Re-index the shards whose searchable text changed; record every index file in the
    manifest. Returns whether anything was indexed."""
    groups: dict[int, list[tuple[str, str]]] = {}
    for page in pages:
        if page.searchable:
            body = manifest.pages[page.path].get("body", "")
            groups.setdefault(shard_of(page.path, shards), []).append((page.path, body))
    old_keys: dict[str, str] = previous.search.get("shards", {})
    keys: dict[str, str] = {}
    files: dict[str, dict[str, Any]] = {}
    todo = []
    for shard, entries in groups.items():
        keys[str(shard)] = shard_key(entries)
        prefix = f"pagefind/{shard}/"
        kept = {k: v for k, v in previous.files.items() if k.startswith(prefix)}
        if (
            not full
            and old_keys.get(str(shard)) == keys[str(shard)]
            and kept
            and (out / "pagefind" / str(shard)).is_dir()
        ):
            files.update(kept)
        else:
            todo.append(shard)
    if progress:
        progress("search", 0, len(todo))
    # Pagefind runs as a separate process per shard; two at a time keep both cores busy
    # through its single-threaded stretches.
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(todo)))) as pool:
        made = pool.map(
            lambda shard: index_shard(out, shard, [p for p, _ in groups[shard]], stages / str(shard)),
            todo,
        )
        for names in made:
            for name in names:
                target = out / name
                files[name] = {"sha256": file_sha256(target), "size": target.stat().st_size}
            if progress:
                progress("search", 1, len(todo))
    if stages.is_dir():
        for folder in stages.iterdir():
            if not folder.name.isdigit() or int(folder.name) not in groups:
                remove_stage(folder)
    for name in previous.files:  # shards no longer used
        if name.startswith("pagefind/") and name not in files:
            (out / name).unlink(missing_ok=True)
            prune_empty_dirs(out, (out / name).parent)
    manifest.files.update(files)
    manifest.search = {"shards": keys}
    return bool(todo)
