"""Theme static files, published under names that carry a hash of their content.

`site.css` becomes `assets/site.3f2a9c1b7d.css`; templates ask `asset("site.css")` for the
URL, so a CDN can cache every asset forever and an edit is never served stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from shop.generator.templating import BuildError


@dataclass(frozen=True, slots=True)
class Asset:
    source: Path
    output: str  # path relative to the output folder
    data: bytes


def fingerprint(files: dict[str, Path]) -> dict[str, Asset]:
    """Logical name ("js/shop.js") -> the asset to publish."""
    assets: dict[str, Asset] = {}
    for name, source in files.items():
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:10]
        pure = PurePosixPath(name)
        output = str(PurePosixPath("assets") / pure.parent / f"{pure.stem}.{digest}{pure.suffix}")
        assets[name] = Asset(source=source, output=output.replace("/./", "/"), data=data)
    return assets


class AssetUrls:
    """The `asset()` function templates call."""

    def __init__(self, assets: dict[str, Asset], base: str) -> None:
        self._assets = assets
        self._base = base

    def __call__(self, name: str) -> str:
        asset = self._assets.get(name)
        if asset is None:
            raise BuildError(f"asset {name!r}: no such file in the theme's static/ folders")
        return f"{self._base}/{asset.output}"
