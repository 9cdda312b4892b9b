"""Rendering pages, in this process or in a pool of forked workers.

Workers are forked after the catalog is read and the templates are compiled, so they
inherit both without pickling anything; a task is a list of page indices and a result
is a few strings per page. A page whose bytes equal what the manifest recorded is not
written at all; a changed one is staged in a temporary file beside its target and only
renamed into place once every page rendered without error.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from shop.generator import search
from shop.generator.pages import Page
from shop.generator.templating import BuildError, TrackingEnvironment, describe_template_error
from shop.generator.writer import sha256, stage, write_new_page

CHUNK = 100
POOL_THRESHOLD = 200  # below this many pages, forking costs more than it saves


@dataclass(slots=True)
class Rendered:
    path: str
    sha256: str
    size: int
    templates: list[str]
    body: str
    staged: str | None  # temporary file to rename over the target; None when unchanged
    written: bool  # staged, or written in place in a fresh site folder


@dataclass
class RenderJob:
    env: TrackingEnvironment
    pages: list[Page]
    out: Path
    previous: dict[str, dict[str, Any]]  # manifest "files"
    roots: list[Path]  # template folders, to name the file of an error
    search_stage: Path | None = None  # where Pagefind's documents go, a folder per shard
    shards: int = 1
    # `out` is a fresh folder that becomes the site only when the build is done: pages and
    # search documents are written under their own names, not staged and renamed.
    fresh: bool = False


_JOB: RenderJob | None = None


def render_page(job: RenderJob, page: Page) -> Rendered:
    env = job.env
    env.recording = set()
    try:
        template = env.get_template(page.template)
        data = template.render(page.context()).encode()
    except BuildError as exc:
        raise BuildError(f"{page.path}: {exc}") from None
    except Exception as exc:
        raise BuildError(describe_template_error(exc, job.roots) + f" (rendering {page.path})") from None
    finally:
        used = sorted(env.recording or ())
        env.recording = None
    digest = sha256(data)
    staged = None
    if job.fresh:
        write_new_page(job.out / page.path, data)
    else:
        before = job.previous.get(page.path)
        if before is None or before.get("sha256") != digest or not (job.out / page.path).exists():
            staged = str(stage(job.out / page.path, data))
    body = ""
    if page.searchable:
        document = search.staged_document(data, page.url)
        body = search.body_digest(document)
        if job.search_stage is not None:
            shard = search.shard_of(page.path, job.shards)
            target = job.search_stage / str(shard) / search.document_name(page.path)
            # In place in a fresh site: should the build fail, its pages are never moved
            # into place, so the next build renders them, and stages their documents, again.
            search.stage_document(target, document, in_place=job.fresh)
    return Rendered(page.path, digest, len(data), used, body, staged, job.fresh or staged is not None)


def _render_chunk_with(job: RenderJob, indices: list[int]) -> list[Rendered] | str:
    done: list[Rendered] = []
    try:
        for i in indices:
            done.append(render_page(job, job.pages[i]))
    except BuildError as exc:
        discard(done)
        return str(exc)
    return done


def _render_chunk(indices: list[int]) -> list[Rendered] | str:
    if _JOB is None:  # pragma: no cover - set before the fork
        return "render worker started without a job"
    return _render_chunk_with(_JOB, indices)


def render_all(
    job: RenderJob,
    indices: list[int],
    *,
    jobs: int,
    progress: Callable[[int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
    each: Callable[[Rendered], None] | None = None,
) -> list[Rendered]:
    """Render `indices` of `job.pages`; on any error remove what was staged and raise.

    `meanwhile` runs in this process while the workers render (after rendering when there
    are no workers, so that it overlaps the search shards `each` started); if it raises,
    what was rendered is removed and it is re-raised. `each` is told of every page rendered,
    in this process, as the results come in."""
    results: list[Rendered] = []
    shared: dict[tuple[str, ...], list[str]] = {}
    error: str | None = None
    try:
        for batch in _batches(job, indices, jobs, meanwhile):
            if isinstance(batch, str):
                error = error or batch  # keep draining, so every staged file is known
                continue
            for result in batch:  # most pages used the same templates: keep one list of each
                result.templates = shared.setdefault(tuple(result.templates), result.templates)
            results += batch
            if each:
                for result in batch:
                    each(result)
            if progress:
                progress(len(batch))
    except BaseException:
        discard(results)
        raise
    if error is not None:
        discard(results)
        raise BuildError(error)
    return results


def _batches(
    job: RenderJob, indices: list[int], jobs: int, meanwhile: Callable[[], None] | None
) -> Iterator[list[Rendered] | str]:
    global _JOB
    chunks = [indices[i : i + CHUNK] for i in range(0, len(indices), CHUNK)]
    if jobs <= 1 or len(indices) < POOL_THRESHOLD:
        for chunk in chunks:
            batch = _render_chunk_with(job, chunk)
            yield batch
            if isinstance(batch, str):
                return
        if meanwhile:
            meanwhile()
        return
    _JOB = job
    # Objects that exist now are shared with the workers copy-on-write; frozen, the garbage
    # collector in a worker never writes to their headers, so their pages stay shared.
    gc.freeze()
    try:
        with get_context("fork").Pool(jobs) as pool:
            batches = pool.imap_unordered(_render_chunk, chunks)
            if meanwhile:
                try:
                    meanwhile()
                except BaseException:
                    for batch in batches:  # let the workers finish, then remove what they staged
                        if not isinstance(batch, str):
                            discard(batch)
                    raise
            yield from batches
    finally:
        gc.unfreeze()
        _JOB = None


def discard(results: list[Rendered]) -> None:
    for result in results:
        if result.staged:
            Path(result.staged).unlink(missing_ok=True)
