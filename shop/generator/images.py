"""Derived product images: several widths, WebP with a JPEG fallback, cached by source hash.

A derived file is named by its source's SHA-256 and its width, so it never needs to be
made twice: the cache under `.shop/cache/images/` survives `--full` and other output
folders, and the output gets a hard link (or a copy) of the cached file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from shop.generator.data import ImageData
from shop.generator.manifest import Manifest
from shop.generator.templating import BuildError
from shop.generator.writer import file_digest, write_atomic

WIDTHS = (320, 640, 1024, 1600)
FORMATS = (
    ("webp", "WEBP", {"quality": 80, "method": 4}),
    ("jpg", "JPEG", {"quality": 82, "optimize": True, "progressive": True}),
)


def derived_widths(width: int) -> list[int]:
    """The standard widths a source `width` pixels wide covers; never upscaled, and the
    source's own odd width is not added (encoding it costs the most and gains little)."""
    return [w for w in WIDTHS if w <= width] or [width]


def derived_name(sha: str, width: int, ext: str) -> str:
    return f"images/{sha[:2]}/{sha}-{width}.{ext}"


@dataclass(frozen=True, slots=True)
class ImageSet:
    """What an <img>/<picture> needs: every URL is relative to the site's base path."""

    src: str
    webp_srcset: str
    jpeg_srcset: str
    width: int
    height: int
    alt: str
    large: str  # a big JPEG for feeds, Open Graph and JSON-LD


def image_set(image: ImageData, base: str, *, display_width: int = 1024) -> ImageSet:
    widths = derived_widths(image.width)

    def url(w: int, ext: str) -> str:
        return f"{base}/{derived_name(image.sha256, w, ext)}"

    shown = min(widths, key=lambda w: (w < display_width, abs(w - display_width)))
    return ImageSet(
        src=url(shown, "jpg"),
        webp_srcset=", ".join(f"{url(w, 'webp')} {w}w" for w in widths),
        jpeg_srcset=", ".join(f"{url(w, 'jpg')} {w}w" for w in widths),
        width=shown,
        height=max(1, round(image.height * shown / image.width)),
        alt=image.alt,
        large=url(widths[-1], "jpg"),
    )


@dataclass(frozen=True, slots=True)
class Job:
    sha: str
    source: str
    width: int  # the source's width
    cache: str


def output_files(images: Iterable[ImageData]) -> dict[str, tuple[str, int, str]]:
    """Every derived file the site needs: output path -> (sha, width, ext)."""
    files: dict[str, tuple[str, int, str]] = {}
    for image in images:
        for w in derived_widths(image.width):
            for ext, _, _ in FORMATS:
                files[derived_name(image.sha256, w, ext)] = (image.sha256, w, ext)
    return files


def make_derived(job: Job) -> str:
    """Every width and format of one source into the cache; returns the sha."""
    # Pillow is loaded only by a build that has images to make (`ensure_cached` loads it
    # before its workers fork): 25 ms of every other build command's start.
    from PIL import Image, ImageOps

    cache = Path(job.cache)
    with Image.open(job.source) as opened:
        source = ImageOps.exif_transpose(opened)
        if source.mode not in ("RGB", "L"):
            background = Image.new("RGB", source.size, (255, 255, 255))
            rgba = source.convert("RGBA")
            background.paste(rgba, mask=rgba.split()[-1])
            source = background
        elif source.mode == "L":
            source = source.convert("RGB")
        current = source
        for w in sorted(derived_widths(source.width), reverse=True):
            h = max(1, round(source.height * w / source.width))
            # Each width from the next larger one: far fewer pixels to filter than the source.
            resized = current if w == current.width else current.resize((w, h), Image.Resampling.LANCZOS)
            current = resized
            for ext, fmt, options in FORMATS:
                out = io.BytesIO()
                resized.save(out, format=fmt, **options)
                write_atomic(cache / derived_name(job.sha, w, ext), out.getvalue())
    return job.sha


def ensure_cached(
    images: Iterable[ImageData],
    media: Path,
    cache: Path,
    *,
    jobs: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int, list[str]]:
    """Make what the cache lacks. Returns (made, reused, missing source files)."""
    todo: dict[str, Job] = {}
    reused = 0
    missing: list[str] = []
    seen: set[str] = set()
    for image in images:
        if image.sha256 in seen:
            continue
        seen.add(image.sha256)
        complete = all(
            (cache / derived_name(image.sha256, w, ext)).exists()
            for w in derived_widths(image.width)
            for ext, _, _ in FORMATS
        )
        if complete:
            reused += 1
            continue
        source = media / image.file
        if not source.is_file():
            missing.append(image.file)
            continue
        todo[image.sha256] = Job(image.sha256, str(source), image.width, str(cache))
    if len(todo) > 1 and jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        import PIL.ImageOps  # noqa: F401  (once here, not in every forked worker)

        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            for _ in pool.map(make_derived, todo.values(), chunksize=4):
                if progress:
                    progress(1)
    else:
        for job in todo.values():
            make_derived(job)
            if progress:
                progress(1)
    return len(todo), reused, missing


def place(cache_file: Path, target: Path) -> None:
    """Put a cached derived file into the output: a hard link where the disk allows it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        os.link(cache_file, tmp)
    except OSError:
        tmp.write_bytes(cache_file.read_bytes())
    os.replace(tmp, target)


def place_all(
    all_images: list[ImageData],
    media: Path,
    out: Path,
    cache: Path,
    previous: Manifest,
    manifest: Manifest,
    *,
    jobs: int,
    progress: Callable[[str, int, int], None] | None,
) -> tuple[int, int]:
    """Every derived image the site needs, in the output and in the manifest.

    Returns (sources processed, sources reused)."""
    needed = output_files(all_images)
    missing_in_out = {name for name in needed if name not in previous.files or not (out / name).exists()}
    shas = {needed[name][0] for name in missing_in_out}
    todo = [i for i in all_images if i.sha256 in shas]
    if progress:
        progress("images", 0, len(shas))
    made, _reused, missing = ensure_cached(
        todo,
        media,
        cache,
        jobs=jobs,
        progress=(lambda n: progress("images", n, len(shas))) if progress else None,
    )
    if missing:
        raise BuildError(
            f"{media / missing[0]}: image file missing "
            f"({len(missing)} in all); re-upload it or remove the image in the admin"
        )
    for name in needed:
        if name in missing_in_out:
            place(cache / name, out / name)
            sha, size = file_digest(out / name)
            manifest.files[name] = {"sha256": sha, "size": size}
        else:
            manifest.files[name] = previous.files[name]
    return made, len({i.sha256 for i in all_images}) - made
