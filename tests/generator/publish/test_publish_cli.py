"""`shop publish` and `shop releases` through the CLI: output, records, errors."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from shop.cli import app
from shop.config import get_settings
from shop.core.db import make_engine, make_session_factory
from shop.core.site.models import SiteRun
from tests.site_factory import StaticSite

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("SHOP_") and name != "SHOP_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("SHOP_DIR", str(tmp_path))
    monkeypatch.setenv("SHOP_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def built(store: Path) -> StaticSite:
    return StaticSite.create(store / "public", 12)


def runs(db_url: str) -> list[SiteRun]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.scalars(select(SiteRun).order_by(SiteRun.id)))
    finally:
        engine.dispose()


def shop(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_publish_to_a_folder_prints_json_and_records_the_run(
    built: StaticSite, store: Path, db_url: str
) -> None:
    target = (store / "www").as_uri()
    result = shop("publish", "--target", target, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"uploaded", "unchanged", "deleted", "bytes_uploaded", "seconds", "release"} <= set(summary)
    assert summary["uploaded"] == len(built.shipped()) and summary["deleted"] == 0
    recorded = runs(db_url)
    assert [(r.kind, r.release, r.target, r.error) for r in recorded] == [
        ("publish", summary["release"], target, "")
    ]
    assert recorded[0].summary["uploaded"] == summary["uploaded"] and recorded[0].finished_at

    again = shop("publish", "--target", target)
    assert again.exit_code == 0
    assert again.stdout.startswith(f"Nothing to publish: release {summary['release']}")

    built.edit(2)
    dry = shop("publish", "--target", target, "--dry-run")
    assert dry.exit_code == 0 and dry.stdout.startswith("Dry run, nothing changed")
    second = shop("publish", "--target", target)
    assert second.exit_code == 0 and "Published" in second.stdout and "5 uploaded" in second.stdout
    assert len(runs(db_url)) == 3  # a dry run is not a publish

    listing = shop("releases", "--target", target)
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert lines[1].startswith("* ") and lines[2].startswith(f"  {summary['release']}")

    back = shop("publish", "--rollback", "--target", target, "--json")
    assert back.exit_code == 0, back.output
    assert json.loads(back.stdout)["release"] == summary["release"]
    assert runs(db_url)[-1].kind == "rollback"
    releases = json.loads(shop("releases", "--target", target, "--json").stdout)
    assert [r["current"] for r in releases] == [False, True]

    named = shop("publish", "--rollback", releases[0]["id"], "--target", target)
    assert named.exit_code == 0 and f"to release {releases[0]['id']}" in named.stdout


def test_publish_uses_the_build_manifest_when_fresh(built: StaticSite, store: Path) -> None:
    import hashlib

    files = {}
    for path in sorted(built.root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            files[path.relative_to(built.root).as_posix()] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
            }
    (store / ".shop").mkdir()
    (store / ".shop" / "build-manifest.json").write_text(json.dumps({"files": files}))
    result = shop("publish", "--target", (store / "www").as_uri(), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["uploaded"] == len(built.shipped())
    assert (store / "www" / "index.html").read_bytes() == built.shipped()["index.html"]


def test_publish_to_s3_from_settings_with_invalidation(
    built: StaticSite,
    store: Path,
    monkeypatch: pytest.MonkeyPatch,
    moto_url: str,
    bucket: str,
    s3: Any,
) -> None:
    cloudfront = boto3.client("cloudfront", endpoint_url=moto_url, region_name="us-east-1")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": bucket,
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "s3",
                        "DomainName": f"{bucket}.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "allow-all",
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            },
        }
    )["Distribution"]["Id"]
    monkeypatch.setenv("SHOP_PUBLISH_TARGET", f"s3://{bucket}/live")
    monkeypatch.setenv("SHOP_S3_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("SHOP_S3_REGION", "us-east-1")
    monkeypatch.setenv("SHOP_CDN_DISTRIBUTION_ID", distribution)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", moto_url)  # boto3's standard variable
    get_settings.cache_clear()

    first = shop("publish", "--json", "--invalidate")
    assert first.exit_code == 0, first.output
    assert s3.get_object(Bucket=bucket, Key="live/index.html")["Body"].read() == built.shipped()["index.html"]
    built.edit(0)
    second = json.loads(shop("publish", "--json", "--invalidate").stdout)
    assert "/products/product-00000/" in second["invalidated"] and len(second["invalidation_ids"]) == 1
    listing = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    assert listing["Quantity"] == 1


def test_errors_are_one_line_and_exit_non_zero(built: StaticSite, store: Path, db_url: str) -> None:
    cases = [
        (("publish",), "no publish target"),
        (
            ("publish", "20260101T000000000Z-abcd", "--target", (store / "www").as_uri()),
            "a release is named only with --rollback",
        ),
        (("publish", "--target", "ftp://x/y"), "s3://BUCKET/PREFIX or file:///PATH"),
        (("publish", "--target", (store / "public" / "www").as_uri()), "overlaps the build output"),
        (
            ("publish", "--target", (store / "www").as_uri(), "--invalidate"),
            "SHOP_CDN_DISTRIBUTION_ID",
        ),
        (
            ("publish", "--target", (store / "www").as_uri(), "--from", str(store / "nope")),
            "no such folder",
        ),
        (
            ("publish", "--rollback", "--target", (store / "www").as_uri()),
            "nothing has been published",
        ),
    ]
    for args, message in cases:
        result = shop(*args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    # Publishes refused by the target or the build are on record, with the reason.
    failed = runs(db_url)
    assert [(r.kind, r.release) for r in failed] == [("publish", None)] * 2 + [("rollback", None)]
    assert ["ftp://" in failed[0].error, "no such folder" in failed[1].error] == [True, True]
    assert "nothing has been published" in failed[2].error


def test_a_database_without_tables_only_warns(
    built: StaticSite, store: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHOP_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    result = shop("publish", "--target", (store / "www").as_uri())
    assert result.exit_code == 0
    assert "warning: this publish was not recorded in the database" in result.stderr
    assert (store / "www" / "index.html").is_file()


def test_releases_keep_prunes_and_publish_keeps_the_configured_number(
    built: StaticSite, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = (store / "www").as_uri()
    monkeypatch.setenv("SHOP_PUBLISH_KEEP_RELEASES", "3")
    get_settings.cache_clear()
    for price in (100, 200, 300, 400):
        built.edit(1, price=price)
        result = shop("publish", "--target", target)
        assert result.exit_code == 0, result.output
    assert "pruned 1 old releases" in result.stdout
    assert len(json.loads(shop("releases", "--target", target, "--json").stdout)) == 3

    pruned = shop("releases", "--target", target, "--keep", "1")
    assert pruned.exit_code == 0, pruned.output
    assert pruned.stdout.startswith("Pruned 1 releases and ")  # the live one's rollback stays
    assert len(pruned.stdout.splitlines()) == 4  # the line, the heading, two releases

    busy = store / "www" / "_shop" / "lock.json"
    busy.write_text('{"action": "publish", "host": "ci-7", "pid": 1, "expires": "2999-01-01T00:00:00+00:00"}')
    built.edit(1, price=500)
    refused = shop("publish", "--target", target)
    assert refused.exit_code == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "another publish holds the target (host ci-7" in refused.stderr
