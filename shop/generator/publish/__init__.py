"""`shop publish`: ship the built storefront to S3 or a folder, changed files only, in an
order that never breaks a page, as releases that can be rolled back."""

from shop.generator.publish.files import FileEntry, Source, SourceError, collect
from shop.generator.publish.publisher import (
    CDN,
    Options,
    PublishError,
    Reporter,
    Result,
    publish,
    rollback,
)
from shop.generator.publish.targets import Target, TargetError, TargetOptions, open_target

__all__ = [
    "CDN",
    "FileEntry",
    "Options",
    "PublishError",
    "Reporter",
    "Result",
    "Source",
    "SourceError",
    "Target",
    "TargetError",
    "TargetOptions",
    "collect",
    "open_target",
    "publish",
    "rollback",
]
