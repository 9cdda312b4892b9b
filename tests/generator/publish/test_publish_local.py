"""The folder target: the same diff, order, guard and rollback as S3, on the file system."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shop.generator.publish import Options, PublishError, collect, open_target, publish, rollback
from shop.generator.publish.local import LocalTarget
from shop.generator.publish.releases import read_state
from shop.generator.publish.targets import TargetError, TargetOptions
from tests.site_factory import StaticSite


@pytest.fixture
def folder(tmp_path: Path) -> LocalTarget:
    made = open_target((tmp_path / "www").as_uri(), TargetOptions())
    assert isinstance(made, LocalTarget)
    return made


def served(target: LocalTarget) -> dict[str, bytes]:
    return {
        path.relative_to(target.root).as_posix(): path.read_bytes()
        for path in target.root.rglob("*")
        if path.is_file() and not path.relative_to(target.root).as_posix().startswith("_shop/")
    }


def ship(site: StaticSite, target: LocalTarget, **options: Any):  # type: ignore[no-untyped-def]
    return publish(collect(site.root, manifest=None), target, Options(**options))


def test_publish_edit_remove_and_nothing_to_do(site: StaticSite, folder: LocalTarget) -> None:
    first = ship(site, folder)
    assert served(folder) == site.shipped()
    assert first.uploaded == len(site.shipped())
    again = ship(site, folder)
    assert (again.uploaded, again.deleted, again.release) == (0, 0, first.release)

    before = site.shipped()
    site.edit(3)
    site.remove(11)
    after = site.shipped()
    result = ship(site, folder)
    assert result.uploaded == len([k for k in after if before.get(k) != after[k]]) == 9
    assert result.deleted == len(before.keys() - after.keys()) == 5
    assert served(folder) == after
    assert not (folder.root / "products" / "product-00011").exists()  # no empty folder left
    assert not list(folder.root.rglob(".publish-*"))  # no temporary files left


def test_dry_run_writes_nothing(site: StaticSite, folder: LocalTarget) -> None:
    result = ship(site, folder, dry_run=True)
    assert result.uploaded == len(site.shipped())
    assert not folder.root.exists() or not any(folder.root.iterdir())


def test_an_interrupted_publish_is_finished_by_the_next(
    site: StaticSite, folder: LocalTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ship(site, folder)
    old = served(folder)
    site.css_version = 2
    site.remove(6)
    calls = {"n": 0}
    real_copy = LocalTarget.copy

    def failing_copy(self: LocalTarget, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full")
        real_copy(self, *args, **kwargs)

    monkeypatch.setattr(LocalTarget, "copy", failing_copy)
    with pytest.raises(OSError, match="disk full"):
        ship(site, folder, jobs=1)
    assert set(old) <= set(served(folder))  # nothing deleted while pages may still need it
    assert read_state(folder).release == first.release
    monkeypatch.setattr(LocalTarget, "copy", real_copy)
    done = ship(site, folder)
    assert served(folder) == site.shipped()
    assert [r.id for r in read_state(folder).history] == [done.release, first.release]


def test_rollback_restores_byte_for_byte(site: StaticSite, folder: LocalTarget) -> None:
    first = ship(site, folder)
    v1 = served(folder)
    site.css_version = 2
    site.edit(2)
    site.remove(3)
    site.add(42)
    ship(site, folder)
    assert rollback(folder).release == first.release
    assert served(folder) == v1


def test_default_delete_guard_is_a_tenth_of_the_site_or_50(tmp_path: Path, folder: LocalTarget) -> None:
    site = StaticSite.create(tmp_path / "public", 90)
    ship(site, folder)
    for number in range(20):  # 20 pages, 20 images, 20 fragments, a chunk and a listing page
        site.products = [p for p in site.products if p.number != number]
    site.write()
    with pytest.raises(PublishError, match="more than the limit of 50"):
        ship(site, folder)
    assert ship(site, folder, max_deletes=100).deleted > 50


def test_target_urls_are_checked(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="s3://BUCKET/PREFIX or file:///PATH"):
        open_target("ftp://example.com/site", TargetOptions())
    with pytest.raises(TargetError, match="name the bucket"):
        open_target("s3:///site", TargetOptions())
    with pytest.raises(TargetError, match="local path"):
        open_target("file://otherhost/srv", TargetOptions())
    target = open_target((tmp_path / "a b").as_uri(), TargetOptions())
    assert isinstance(target, LocalTarget) and target.root == tmp_path / "a b"
    with pytest.raises(TargetError, match="outside the target folder"):
        target.read("../escape")
