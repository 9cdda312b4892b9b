"""One run at a time per target (the lease), and pruning old releases and their files."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shop.generator.publish import Options, collect, publish, rollback
from shop.generator.publish.lock import LOCK_KEY, TargetBusy
from shop.generator.publish.prune import OBJECTS_PREFIX, prune_releases
from shop.generator.publish.publisher import Reporter
from shop.generator.publish.releases import object_key, read_release, read_state, release_key
from shop.generator.publish.s3 import S3Target
from shop.generator.publish.targets import Target, TargetOptions, open_target
from tests.site_factory import StaticSite


def ship(site: StaticSite, target: Target, **options: Any):  # type: ignore[no-untyped-def]
    options.setdefault("jobs", 4)
    return publish(collect(site.root, manifest=None), target, Options(**options))


def lease_record(s3: Any, bucket: str, *, expires_in: timedelta) -> None:
    now = datetime.now(UTC)
    record = {
        "token": "other",
        "action": "publish",
        "host": "build-server-2",
        "pid": 4242,
        "since": now.isoformat(timespec="seconds"),
        "expires": (now + expires_in).isoformat(timespec="seconds"),
    }
    s3.put_object(Bucket=bucket, Key=f"shop/{LOCK_KEY}", Body=json.dumps(record).encode())


def test_a_held_lease_refuses_a_second_run_and_changes_nothing(
    site: StaticSite, target: S3Target, s3: Any, bucket: str
) -> None:
    first = ship(site, target)
    lease_record(s3, bucket, expires_in=timedelta(minutes=30))
    site.edit(3)
    with pytest.raises(TargetBusy, match=r"another publish holds the target .*build-server-2, pid 4242"):
        ship(site, target)
    with pytest.raises(TargetBusy):
        rollback(target, options=Options(jobs=4))
    assert read_state(target).release == first.release
    assert ship(site, target, dry_run=True).uploaded > 0  # a dry run reads only; no lease needed
    s3.head_object(Bucket=bucket, Key=f"shop/{LOCK_KEY}")  # the other run's lease is untouched


def test_an_expired_lease_is_taken_over_and_let_go(
    site: StaticSite, target: S3Target, s3: Any, bucket: str
) -> None:
    lease_record(s3, bucket, expires_in=timedelta(minutes=-1))
    result = ship(site, target)
    assert result.release and read_state(target).release == result.release
    assert target.read(LOCK_KEY) is None


def test_two_publishes_at_once_one_waits_out_the_other(site: StaticSite, target: S3Target) -> None:
    inside = threading.Event()
    go_on = threading.Event()

    class Pausing(Reporter):
        def stage(self, name: str, count: int) -> None:
            if name == "storing":
                inside.set()
                assert go_on.wait(10)

    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(ship(site, target, reporter=Pausing())))
    first.start()
    assert inside.wait(10)
    try:
        with pytest.raises(TargetBusy):
            ship(site, target)
    finally:
        go_on.set()
        first.join(10)
    assert results and read_state(target).release == results[0].release
    assert target.read(LOCK_KEY) is None


def stored_objects(target: Target) -> set[str]:
    return {key.rsplit("/", 1)[-1] for key in target.keys(OBJECTS_PREFIX)}


def used_by(target: Target, releases: list[str]) -> set[str]:
    return {entry.sha256 for release in releases for entry in read_release(target, release).values()}


@pytest.mark.parametrize("kind", ["s3", "folder"])
def test_pruning_forgets_old_releases_and_deletes_only_files_no_kept_release_uses(
    kind: str, site: StaticSite, moto_url: str, bucket: str, tmp_path: Path
) -> None:
    url = f"s3://{bucket}/shop" if kind == "s3" else (tmp_path / "www").as_uri()
    target = open_target(url, TargetOptions(endpoint_url=moto_url, jobs=4))
    ids = []
    for price in (100, 200, 300, 400, 500):
        site.edit(1, price=price)  # product 1's page, its listing, home and search change
        ids.append(ship(site, target).release)
    history = [info.id for info in read_state(target).history]
    assert history == ids[::-1]
    old_only = used_by(target, ids[:3]) - used_by(target, ids[3:])
    assert old_only and old_only <= stored_objects(target)

    pruned = prune_releases(target, keep=2)

    assert pruned.releases == ids[2::-1]
    assert [info.id for info in read_state(target).history] == ids[:2:-1]
    assert all(target.read(release_key(release)) is None for release in ids[:3])
    assert stored_objects(target) == used_by(target, ids[3:])
    assert pruned.objects == len(old_only)
    back = rollback(target, options=Options(jobs=4))  # the kept previous one is whole
    assert back.release == ids[3]
    assert prune_releases(target, keep=2).releases == []


def test_pruning_keeps_the_live_release_and_its_rollback_target_even_when_old(
    site: StaticSite, target: S3Target
) -> None:
    ids = []
    for price in (100, 200, 300):
        site.edit(1, price=price)
        ids.append(ship(site, target).release)
    rollback(target, ids[0], Options(jobs=4))  # live: the oldest
    site.edit(1, price=400)
    newest = ship(site, target).release  # its rollback target is ids[0], the last good one
    pruned = prune_releases(target, keep=1)
    assert sorted(pruned.releases) == sorted(ids[1:])
    assert [info.id for info in read_state(target).history] == [newest, ids[0]]
    assert rollback(target, options=Options(jobs=4)).release == ids[0]


def test_publish_prunes_after_itself_when_asked(site: StaticSite, target: S3Target) -> None:
    releases = []
    for price in (100, 200, 300, 400):
        site.edit(2, price=price)
        result = ship(site, target, keep=2)
        releases.append(result.release)
    assert result.pruned_releases == [releases[1]]
    assert [info.id for info in read_state(target).history] == releases[:1:-1]
    for entry in read_release(target, releases[-1]).values():
        assert target.exists(object_key(entry.sha256))
