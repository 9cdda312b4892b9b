"""Telling CloudFront which pages changed, so shoppers see them before their cache expires.

Only pages need it: fingerprinted assets never change under their name, and the sitemap,
feeds and search entry point expire within a minute anyway. CloudFront bills each path,
and a wildcard counts as one, so past a threshold whole folders (or the site) are cheaper.
"""

from __future__ import annotations

from posixpath import dirname
from typing import Any

WILDCARD_OVER = 100  # paths; past this, folder wildcards or `/*` cost less
BATCH = 1000  # paths per invalidation request (CloudFront allows 3,000 in progress)


def paths_for(pages: list[str], *, wildcard_over: int = WILDCARD_OVER) -> list[str]:
    """The URL paths to invalidate for changed or deleted pages."""
    paths: set[str] = set()
    for page in pages:
        paths.add(f"/{page}")
        if page == "index.html" or page.endswith("/index.html"):
            folder = dirname(page)
            paths.add(f"/{folder}/" if folder else "/")
    if len(paths) <= wildcard_over:
        return sorted(paths)
    folders = {_top_level_wildcard(path) for path in paths}
    if len(folders) <= wildcard_over:
        return sorted(folders)
    return ["/*"]


def _top_level_wildcard(path: str) -> str:
    top, sep, _rest = path.lstrip("/").partition("/")
    return f"/{top}/*" if sep else path


def invalidate(client: Any, distribution_id: str, paths: list[str], reference: str) -> list[str]:
    """Create the invalidations (one per batch); returns their ids."""
    ids = []
    for number, start in enumerate(range(0, len(paths), BATCH)):
        batch = paths[start : start + BATCH]
        response = client.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(batch), "Items": batch},
                # The same reference twice is one invalidation: a retried call is harmless.
                "CallerReference": f"{reference}-{number}",
            },
        )
        ids.append(response["Invalidation"]["Id"])
    return ids


def cloudfront_client(region: str | None = None) -> Any:
    """CloudFront through boto3's standard chain (AWS_ENDPOINT_URL_CLOUDFRONT included)."""
    import boto3

    return boto3.session.Session().client("cloudfront", region_name=region or "us-east-1")
