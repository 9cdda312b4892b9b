"""CloudFront invalidation after a publish, asserted against moto's CloudFront."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from shop.generator.publish import CDN, Options, collect, publish, rollback
from shop.generator.publish.invalidation import paths_for
from shop.generator.publish.s3 import S3Target
from tests.site_factory import StaticSite


@pytest.fixture
def cloudfront(moto_url: str) -> Any:
    return boto3.client("cloudfront", endpoint_url=moto_url, region_name="us-east-1")


@pytest.fixture
def distribution(cloudfront: Any, bucket: str) -> str:
    origin = f"{bucket}.s3.amazonaws.com"
    response = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": bucket,
            "Comment": "storefront",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": origin,
                        "OriginPath": "/shop",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "ViewerProtocolPolicy": "redirect-to-https",
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            },
        }
    )
    return str(response["Distribution"]["Id"])


def invalidated(cloudfront: Any, distribution: str) -> list[list[str]]:
    listing = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    return [
        sorted(
            cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])["Invalidation"][
                "InvalidationBatch"
            ]["Paths"]["Items"]
        )
        for item in listing.get("Items", [])
    ]


def test_invalidates_exactly_the_changed_and_deleted_pages(
    site: StaticSite, target: S3Target, cloudfront: Any, distribution: str
) -> None:
    cdn = CDN(distribution, cloudfront)
    first = publish(collect(site.root, manifest=None), target, Options(cdn=cdn))
    assert first.invalidated == [] and invalidated(cloudfront, distribution) == []  # all new

    site.edit(3)  # its page, the rugs listing, the home page
    site.remove(8)  # its page (and the rugs listing it was on, too)
    site.add(300)  # new: nothing cached to invalidate
    result = publish(collect(site.root, manifest=None), target, Options(cdn=cdn))
    expected = sorted(
        [
            "/",
            "/index.html",
            "/products/product-00003/",
            "/products/product-00003/index.html",
            "/products/product-00008/",
            "/products/product-00008/index.html",
            "/categories/rugs/",
            "/categories/rugs/index.html",
            "/categories/chairs/",
            "/categories/chairs/index.html",  # product 300 is listed there
        ]
    )
    assert result.invalidated == expected
    assert invalidated(cloudfront, distribution) == [expected]
    assert len(result.invalidation_ids) == 1

    unchanged = publish(collect(site.root, manifest=None), target, Options(cdn=cdn))
    assert unchanged.invalidation_ids == [] and len(invalidated(cloudfront, distribution)) == 1

    back = rollback(target, options=Options(cdn=cdn))
    # The same pages change back; product 300's page goes, product 8's returns (new, uncached).
    assert back.invalidated == sorted(
        {*expected, "/products/product-00300/", "/products/product-00300/index.html"}
        - {"/products/product-00008/", "/products/product-00008/index.html"}
    )
    assert len(invalidated(cloudfront, distribution)) == 2


def test_many_changed_pages_become_a_wildcard(
    site: StaticSite, target: S3Target, cloudfront: Any, distribution: str
) -> None:
    publish(collect(site.root, manifest=None), target)
    for product in site.products:
        product.price += 1
    site.write()
    cdn = CDN(distribution, cloudfront, wildcard_over=10)
    result = publish(collect(site.root, manifest=None), target, Options(cdn=cdn))
    assert result.invalidated == ["/", "/categories/*", "/index.html", "/products/*"]
    assert invalidated(cloudfront, distribution) == [result.invalidated]


def test_dry_run_invalidates_nothing(
    site: StaticSite, target: S3Target, cloudfront: Any, distribution: str
) -> None:
    publish(collect(site.root, manifest=None), target)
    site.edit(1)
    result = publish(
        collect(site.root, manifest=None),
        target,
        Options(dry_run=True, cdn=CDN(distribution, cloudfront)),
    )
    assert "/products/product-00001/" in result.invalidated
    assert result.invalidation_ids == [] and invalidated(cloudfront, distribution) == []


def test_paths_collapse_to_folders_then_to_everything() -> None:
    pages = [f"products/p{i}/index.html" for i in range(60)] + ["index.html", "about.html"]
    assert paths_for(["index.html", "a/b/index.html", "x.html"]) == [
        "/",
        "/a/b/",
        "/a/b/index.html",
        "/index.html",
        "/x.html",
    ]
    assert paths_for(pages, wildcard_over=200) == sorted(
        {f"/products/p{i}/" for i in range(60)}
        | {f"/products/p{i}/index.html" for i in range(60)}
        | {"/", "/index.html", "/about.html"}
    )
    assert paths_for(pages, wildcard_over=10) == ["/", "/about.html", "/index.html", "/products/*"]
    many = [f"f{i}/index.html" for i in range(30)]
    assert paths_for(many, wildcard_over=10) == ["/*"]
