"""S3 through moto's real HTTP server on loopback, reached by boto3 with an endpoint URL."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from shop.generator.publish.s3 import S3Target
from shop.generator.publish.targets import TargetOptions, open_target
from tests.site_factory import StaticSite

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials, and no shared AWS config of the machine leaking in."""
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def s3(moto_url: str) -> Any:
    return boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"site-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


class Requests(Counter[str]):
    """S3 requests a target sends, by operation, counted on the wire (every retry too)."""

    def __call__(self, event_name: str, **_kwargs: Any) -> None:
        self[event_name.rsplit(".", 1)[-1]] += 1

    @property
    def total(self) -> int:
        return sum(self.values())


@pytest.fixture
def target(moto_url: str, bucket: str) -> S3Target:
    made = open_target(f"s3://{bucket}/shop", TargetOptions(endpoint_url=moto_url, jobs=8))
    assert isinstance(made, S3Target)
    return made


@pytest.fixture
def requests(target: S3Target) -> Requests:
    counter = Requests()
    target.client.meta.events.register("before-send.s3", counter)
    return counter


@pytest.fixture
def site(tmp_path: Path) -> StaticSite:
    return StaticSite.create(tmp_path / "public", 20)


@pytest.fixture
def live(s3: Any, bucket: str) -> Callable[..., dict[str, str]]:
    """The served files under the target's prefix (publish's records left out).

    Each maps to the MD5 of its bytes: the ETag the listing reports for a plain upload or a
    copy, checked against a full download when `download=True`.
    """

    def read(prefix: str = "shop/", *, download: bool = False) -> dict[str, str]:
        out = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"][len(prefix) :]
                if key.startswith("_shop/"):
                    continue
                out[key] = obj["ETag"].strip('"')
                if download:
                    body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                    assert hashlib.md5(body).hexdigest() == out[key]
        return out

    return read
