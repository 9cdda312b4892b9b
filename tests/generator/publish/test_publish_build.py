"""End to end: `shop build` output published to S3 (moto), product edits and removals."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete

from shop.config import Settings
from shop.core.catalog.models import Product
from shop.core.db import make_session_factory, unit_of_work
from shop.generator.manifest import Manifest, manifest_path
from shop.generator.pipeline import build_site
from shop.generator.publish import Options, Result, collect, publish
from shop.generator.publish.headers import IMMUTABLE, REVALIDATE
from shop.generator.publish.s3 import S3Target
from tests.generator.conftest import FixtureCatalog


def build_and_publish(settings: Settings, target: S3Target) -> tuple[Result, dict[str, Any]]:
    build_site(settings, jobs=1)
    path = manifest_path(settings.dir, settings.output_path, settings.output_path)
    source = collect(settings.output_path, manifest=path)
    assert source.from_manifest  # the build's hashes, no file read twice
    return publish(source, target, Options(jobs=4)), Manifest.load(path).files


def output(settings: Settings) -> dict[str, str]:
    root = settings.output_path
    return {
        p.relative_to(root).as_posix(): hashlib.md5(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def test_a_built_site_is_published_and_each_edit_ships_only_what_changed(
    settings: Settings,
    catalog: FixtureCatalog,
    engine: Engine,
    target: S3Target,
    live: Callable[..., dict[str, str]],
    requests: Any,
    s3: Any,
    bucket: str,
) -> None:
    first, files = build_and_publish(settings, target)
    assert first.uploaded == len(files) and live() == output(settings)
    css = next(k for k in files if k.startswith("assets/") and k.endswith(".css"))
    image = next(k for k in files if k.startswith("images/"))
    for key, cache in (
        ("index.html", REVALIDATE),
        ("sitemap.xml", REVALIDATE),
        (css, IMMUTABLE),
        (image, IMMUTABLE),
        ("pagefind/0/pagefind-entry.json", REVALIDATE),
    ):
        assert s3.head_object(Bucket=bucket, Key=f"shop/{key}")["CacheControl"] == cache, key

    requests.clear()
    unchanged, _ = build_and_publish(settings, target)
    assert unchanged.uploaded == 0 and unchanged.release == first.release
    assert requests.total == 2

    with unit_of_work(make_session_factory(engine)) as session:
        session.get_one(Product, catalog.cap).title = "Waxed Canvas Cap"
    placed: list[str] = []
    target.client.meta.events.register(
        "before-parameter-build.s3.CopyObject",
        lambda params, **_: placed.append(params["Key"].removeprefix("shop/")),
    )
    edited, after = build_and_publish(settings, target)
    touched = {k for k in after if files.get(k, {}).get("sha256") != after[k]["sha256"]}
    assert set(placed) == touched and edited.uploaded == len(touched)
    pages = {k for k in touched if k.endswith(".html")}
    assert pages == {
        "products/canvas-cap/index.html",
        "categories/apparel/index.html",
        "index.html",
    }
    assert {"sitemap.xml", "feeds/google-merchant.xml"} <= touched
    assert not {k for k in touched if k.startswith(("assets/", "images/"))}
    assert edited.deleted == len(files.keys() - after.keys())
    assert live() == output(settings)

    with unit_of_work(make_session_factory(engine)) as session:
        session.execute(delete(Product).where(Product.id == catalog.mug))
    removed, _ = build_and_publish(settings, target)
    assert removed.deleted >= 1
    assert "products/stoneware-mug/index.html" not in live()
    assert live() == output(settings)


def test_publish_leaves_the_build_output_and_manifest_alone(
    settings: Settings, catalog: FixtureCatalog, target: S3Target
) -> None:
    build_site(settings, jobs=1)
    before = output(settings)
    path: Path = manifest_path(settings.dir, settings.output_path, settings.output_path)
    stamp = path.stat().st_mtime_ns
    publish(collect(settings.output_path, manifest=path), target)
    assert output(settings) == before and path.stat().st_mtime_ns == stamp
