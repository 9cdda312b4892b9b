"""Publishing to S3 over the wire (moto's server): only changes, order, headers, releases."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError

from shop.generator.publish import Options, PublishError, collect, publish, rollback
from shop.generator.publish.headers import IMMUTABLE, REVALIDATE
from shop.generator.publish.releases import read_state
from shop.generator.publish.s3 import S3Target
from tests.site_factory import StaticSite, references

Live = Callable[..., dict[str, str]]


def ship(site: StaticSite, target: S3Target, **options: Any):  # type: ignore[no-untyped-def]
    options.setdefault("jobs", 8)
    return publish(collect(site.root, manifest=None), target, Options(**options))


def test_first_publish_uploads_everything_and_nothing_else(
    site: StaticSite, target: S3Target, live: Live
) -> None:
    result = ship(site, target)
    shipped = site.shipped()
    assert result.uploaded == len(shipped) and result.unchanged == 0 and result.deleted == 0
    assert result.bytes_uploaded == sum(len(v) for v in set(shipped.values()))
    assert live(download=True) == site.digests()  # no .env, no .DS_Store, no source map
    assert read_state(target).release == result.release


def test_publish_without_changes_uploads_nothing_in_a_handful_of_requests(
    site: StaticSite, target: S3Target, requests: Any
) -> None:
    first = ship(site, target)
    requests.clear()
    again = ship(site, target)
    assert (again.uploaded, again.deleted, again.bytes_uploaded) == (0, 0, 0)
    assert again.unchanged == len(site.shipped())
    assert again.release == first.release
    assert dict(requests) == {"GetObject": 2}  # the record and the unfinished-run journal
    assert len(read_state(target).history) == 1


def test_editing_one_product_uploads_its_page_listings_and_indexes(
    site: StaticSite, target: S3Target, live: Live, requests: Any
) -> None:
    ship(site, target)
    before = site.shipped()
    site.edit(3)  # its price: shown on its page, its category listing, the home page, search
    after = site.shipped()
    requests.clear()
    result = ship(site, target)
    new_fragment = next(k for k in after.keys() - before.keys())
    old_fragment = next(k for k in before.keys() - after.keys())
    assert new_fragment.startswith("pagefind/fragment/") and old_fragment.startswith("pagefind/fragment/")
    changed = {
        "products/product-00003/index.html",
        "categories/rugs/index.html",
        "index.html",
        new_fragment,
    }
    assert {k for k in after if before.get(k) != after[k]} == changed  # the factory agrees
    assert (result.uploaded, result.deleted) == (len(changed), 1)
    assert result.unchanged == len(after) - len(changed)
    assert live() == site.digests()
    # GETs of the record and the journal, twice (again under the lease), and of the lease
    # before letting it go; per changed file one stored copy (PUT) and one placement (COPY);
    # PUTs of the lease, journal, release and record; one batch delete each for the old
    # fragment, the journal and the lease.
    assert dict(requests) == {
        "GetObject": 5,
        "PutObject": len(changed) + 4,
        "CopyObject": len(changed),
        "DeleteObjects": 3,
    }


def test_a_removed_product_page_is_deleted(site: StaticSite, target: S3Target, live: Live) -> None:
    ship(site, target)
    site.remove(12)
    result = ship(site, target)
    assert "products/product-00012/index.html" not in live()
    assert result.deleted >= 2  # its page and its image (and its search fragment)
    assert live() == site.digests()


def test_headers_say_type_charset_and_caching(
    site: StaticSite, target: S3Target, s3: Any, bucket: str
) -> None:
    ship(site, target)
    shipped = site.shipped()
    css = next(k for k in shipped if k.endswith(".css"))
    image = next(k for k in shipped if k.endswith(".webp"))
    fragment = next(k for k in shipped if k.endswith(".pf_fragment"))
    expected = {
        "index.html": ("text/html; charset=utf-8", REVALIDATE),
        "products/product-00003/index.html": ("text/html; charset=utf-8", REVALIDATE),
        css: ("text/css; charset=utf-8", IMMUTABLE),
        image: ("image/webp", IMMUTABLE),
        fragment: ("application/octet-stream", IMMUTABLE),
        "assets/favicon.ico": ("image/x-icon", REVALIDATE),  # no hash in its name
        "sitemap.xml": ("application/xml; charset=utf-8", REVALIDATE),
        "robots.txt": ("text/plain; charset=utf-8", REVALIDATE),
        "pagefind/pagefind-entry.json": ("application/json; charset=utf-8", REVALIDATE),
        "pagefind/pagefind.js": ("text/javascript; charset=utf-8", REVALIDATE),
    }
    for key, (content_type, cache) in expected.items():
        head = s3.head_object(Bucket=bucket, Key=f"shop/{key}")
        assert (key, head["ContentType"], head["CacheControl"]) == (key, content_type, cache)
        assert head["Metadata"]["sha256"]


def test_dry_run_changes_nothing(site: StaticSite, target: S3Target, live: Live, requests: Any) -> None:
    empty = ship(site, target, dry_run=True)
    assert empty.uploaded == len(site.shipped()) and empty.dry_run
    assert live() == {} and read_state(target).release is None
    ship(site, target)
    site.edit(3)
    site.remove(4)
    requests.clear()
    planned = ship(site, target, dry_run=True)
    assert planned.uploaded > 0 and planned.deleted > 0
    assert set(requests) == {"GetObject"}
    assert live() != site.digests()


def test_writes_go_assets_then_new_pages_then_changed_pages_then_indexes_then_deletes(
    site: StaticSite, target: S3Target, requests: Any
) -> None:
    ship(site, target)
    site.css_version = 2  # a new fingerprinted stylesheet every page points at
    site.add(500)
    site.remove(5)
    order: list[tuple[str, str]] = []

    def record(event_name: str, params: dict[str, Any], **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        order.append((operation, params.get("Key", "")))

    target.client.meta.events.register("before-parameter-build.s3", record)
    ship(site, target)
    placed = [key.removeprefix("shop/") for op, key in order if op == "CopyObject"]

    def where(predicate: Callable[[str], bool]) -> list[int]:
        return [i for i, key in enumerate(placed) if predicate(key)]

    assets = where(lambda k: k.startswith(("assets/", "images/", "pagefind/fragment", "pagefind/index")))
    new_page = where(lambda k: k == "products/product-00500/index.html")
    pages = where(lambda k: k.endswith(".html"))
    indexes = where(lambda k: k in ("sitemap.xml", "feed.xml", "pagefind/pagefind-entry.json"))
    assert assets and new_page and indexes
    assert max(assets) < min(pages)
    assert new_page == [min(pages)]  # before every page that links to it
    assert max(pages) < min(indexes)
    operations = [op for op, _ in order]
    last_copy = max(i for i, op in enumerate(operations) if op == "CopyObject")
    first_store = min(i for i, op in enumerate(operations) if op == "PutObject")
    first_delete = operations.index("DeleteObjects")
    assert first_store < operations.index("CopyObject")
    assert last_copy < first_delete
    assert order[-4:] == [
        ("PutObject", "shop/_shop/current.json"),  # the record, written last
        ("DeleteObjects", ""),  # then the journal goes
        ("GetObject", "shop/_shop/lock.json"),  # and the lease, once it is seen to be ours
        ("DeleteObjects", ""),
    ]


def test_an_interrupted_publish_leaves_a_consistent_site_and_the_rerun_finishes_it(
    site: StaticSite, target: S3Target, live: Live, s3: Any, bucket: str
) -> None:
    first = ship(site, target)
    old = site.digests()
    site.css_version = 2
    site.edit(2, name="Renamed chair")
    site.remove(9)
    site.add(777)
    new = site.digests()
    copies = 0

    def network_dies(**_: Any) -> None:
        nonlocal copies
        copies += 1
        if copies >= 12:
            raise ConnectionError("network unreachable")

    target.client.meta.events.register("before-send.s3.CopyObject", network_dies)
    with pytest.raises(Exception, match="network unreachable"):
        ship(site, target, jobs=1)
    midway = live()
    assert midway != old and midway != new  # some files new, none deleted yet
    assert set(old) <= set(midway)
    for key in midway:  # every live page points at files that exist
        if key.endswith(".html"):
            body = s3.get_object(Bucket=bucket, Key=f"shop/{key}")["Body"].read()
            missing = [ref for ref in references(body) if ref not in midway]
            assert not missing, (key, missing)
    assert read_state(target).release == first.release  # the record still says "old"

    target.client.meta.events.unregister("before-send.s3.CopyObject", network_dies)
    done = ship(site, target)
    assert live() == new
    state = read_state(target)
    assert state.release == done.release and state.files.keys() == new.keys()
    assert [r.id for r in state.history] == [done.release, first.release]
    assert target.read("_shop/pending.json") is None


def test_files_an_unfinished_run_wrote_are_removed_when_the_next_build_lacks_them(
    site: StaticSite, target: S3Target, live: Live
) -> None:
    ship(site, target)
    site.add(901)

    def fail_on_indexes(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key", "").endswith("sitemap.xml"):
            raise ConnectionError("gone")

    target.client.meta.events.register("before-parameter-build.s3.CopyObject", fail_on_indexes)
    with pytest.raises(Exception, match="gone"):
        ship(site, target)
    assert "products/product-00901/index.html" in live()
    target.client.meta.events.unregister("before-parameter-build.s3.CopyObject", fail_on_indexes)
    site.remove(901)  # the merchant changed their mind before publishing again
    ship(site, target)
    assert live() == site.digests()


def test_transient_errors_are_retried(site: StaticSite, target: S3Target, live: Live, requests: Any) -> None:
    failures = {"left": 2}

    def flaky(**_: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionClosedError(endpoint_url="http://moto")

    target.client.meta.events.register("before-send.s3.PutObject", flaky)
    ship(site, target)
    assert failures["left"] == 0
    assert live() == site.digests()


def test_rollback_restores_the_previous_release_byte_for_byte(
    site: StaticSite, target: S3Target, live: Live, s3: Any, bucket: str
) -> None:
    first = ship(site, target)
    v1 = site.digests()
    site.css_version = 2
    site.edit(1)
    site.remove(2)
    site.add(600)
    second = ship(site, target)
    assert live() != v1

    back = rollback(target, options=Options(jobs=8))
    assert back.release == first.release and back.previous == second.release
    assert live(download=True) == v1
    head = s3.head_object(Bucket=bucket, Key="shop/products/product-00001/index.html")
    assert head["CacheControl"] == REVALIDATE and head["ContentType"].startswith("text/html")
    state = read_state(target)
    assert state.release == first.release and len(state.history) == 2

    forward = rollback(target, second.release, Options(jobs=8))  # a named release
    assert forward.release == second.release
    assert live() == site.digests()


def test_rollback_after_a_rollback_goes_further_back_not_to_the_bad_release(
    site: StaticSite, target: S3Target, live: Live
) -> None:
    r1 = ship(site, target).release
    site.edit(1)
    r2 = ship(site, target).release
    v2 = site.digests()
    site.edit(1)
    ship(site, target)  # r3: bad
    assert rollback(target).release == r2
    site.edit(2)
    r4 = ship(site, target).release
    assert read_state(target).previous().id == r2  # type: ignore[union-attr]
    assert rollback(target).release == r2
    assert live() == v2
    assert rollback(target).release == r1
    with pytest.raises(PublishError, match="no release before"):
        rollback(target)
    with pytest.raises(PublishError, match="no release nope"):
        rollback(target, "nope")
    assert r4


def test_rollback_refuses_when_stored_bytes_are_gone(
    site: StaticSite, target: S3Target, s3: Any, bucket: str, live: Live
) -> None:
    ship(site, target)
    site.edit(4)
    ship(site, target)
    state = read_state(target)
    old_page = json.loads(target.read(f"_shop/releases/{state.previous().id}.json") or b"")  # type: ignore[union-attr]
    sha = old_page["files"]["products/product-00004/index.html"]["sha256"]
    s3.delete_object(Bucket=bucket, Key=f"shop/_shop/objects/{sha[:2]}/{sha}")
    before = live()
    with pytest.raises(PublishError, match="cannot be restored"):
        rollback(target)
    assert live() == before  # nothing was touched


def test_max_deletes_guard_holds(site: StaticSite, target: S3Target, live: Live) -> None:
    ship(site, target)
    for number in range(5):
        site.products = [p for p in site.products if p.number != number]
    site.write()  # 5 pages, 5 images, 5 search fragments and a search chunk go
    with pytest.raises(PublishError, match=r"delete 16 of the \d+ live files, more than the limit of 10"):
        ship(site, target, max_deletes=10)
    assert len(live()) > len(site.shipped())  # refused before anything changed
    result = ship(site, target, max_deletes=16)
    assert result.deleted == 16
    assert live() == site.digests()


def test_an_empty_build_is_refused(tmp_path: Path) -> None:
    from shop.generator.publish import SourceError

    (tmp_path / "public").mkdir()
    (tmp_path / "public" / ".env").write_text("x")
    with pytest.raises(SourceError, match="nothing to publish"):
        collect(tmp_path / "public", manifest=None)
