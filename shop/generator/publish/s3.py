"""An S3 bucket as the publish target, through boto3 and its standard credential chain.

Credentials are never read from settings: environment, shared config, SSO, instance or
task roles all work as boto3 finds them. Transient failures (throttling, 5xx, dropped
connections) are retried by botocore's standard mode with exponential backoff and jitter.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from shop.generator.publish.targets import Headers, TargetError, TargetOptions

MAX_ATTEMPTS = 6
DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys


class S3Target:
    def __init__(self, bucket: str, prefix: str, options: TargetOptions) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.url = f"s3://{bucket}/{prefix}".rstrip("/")
        config = Config(
            retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
            max_pool_connections=max(options.jobs, 16) + 4,
            # S3-compatible stores (MinIO, a local endpoint) want path-style addressing.
            s3={"addressing_style": "path" if options.endpoint_url else "auto"},
        )
        self.client: Any = boto3.session.Session().client(
            "s3", endpoint_url=options.endpoint_url, region_name=options.region, config=config
        )

    def _key(self, key: str) -> str:
        return self.prefix + key

    @contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            yield
        except NoCredentialsError as exc:
            raise TargetError(
                "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                "AWS_PROFILE, or run where an instance or task role applies"
            ) from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "error")
            if code == "NoSuchBucket":
                raise TargetError(f"s3://{self.bucket}: no such bucket") from exc
            message = error.get("Message", "")
            raise TargetError(
                f"{action} s3://{self.bucket}/{self._key(key)}: {code} {message}".rstrip()
            ) from exc
        except BotoCoreError as exc:
            raise TargetError(f"{action} s3://{self.bucket}/{self._key(key)}: {exc}") from exc

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        with self._errors("reading", key):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            body: bytes = response["Body"].read()
            return body

    def write(self, key: str, data: bytes, headers: Headers) -> None:
        with self._errors("writing", key):
            self._put(key, data, headers)

    def _put(self, key: str, body: bytes | BinaryIO, headers: Headers, **extra: Any) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(key),
            Body=body,
            ContentType=headers.content_type,
            CacheControl=headers.cache_control,
            **extra,
        )

    def upload(self, key: str, path: Path, headers: Headers, sha256: str) -> None:
        with self._errors("uploading", key), path.open("rb") as body:
            self._put(
                key,
                body,
                headers,
                Metadata={"sha256": sha256},
                # S3 refuses the object if the bytes it received do not have this hash.
                ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode(),
            )

    def copy(self, source: str, key: str, headers: Headers, sha256: str) -> None:
        with self._errors("copying to", key):
            self.client.copy_object(
                Bucket=self.bucket,
                Key=self._key(key),
                CopySource={"Bucket": self.bucket, "Key": self._key(source)},
                MetadataDirective="REPLACE",
                ContentType=headers.content_type,
                CacheControl=headers.cache_control,
                Metadata={"sha256": sha256},
            )

    def create(self, key: str, data: bytes, headers: Headers) -> bool:
        from botocore.exceptions import ClientError

        with self._errors("creating", key):
            try:
                # A conditional write (S3 since 2024, MinIO, R2): refused when the key exists.
                self._put(key, data, headers, IfNoneMatch="*")
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                    return False
                raise
            return True

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        with self._errors("listing", prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(prefix)
            )
            for page in pages:
                found += [item["Key"][len(self.prefix) :] for item in page.get("Contents", [])]
        return found

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        with self._errors("checking", key):
            try:
                self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            return True

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            with self._errors("deleting", batch[0]):
                response = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self._key(k)} for k in batch], "Quiet": True},
                )
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise TargetError(
                    f"deleting s3://{self.bucket}/{first.get('Key')}: {first.get('Code')} "
                    f"{first.get('Message', '')}".rstrip()
                )
