"""What gets shipped: the build manifest when it is fresh, else the folder hashed."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from shop.generator.publish import SourceError, collect


def write_manifest(manifest: Path, root: Path, **overrides: dict[str, object]) -> None:
    files = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            files[path.relative_to(root).as_posix()] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
            }
    files.update(overrides)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"files": files}))


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "public"
    (root / "products" / "chair").mkdir(parents=True)
    (root / "index.html").write_text("<h1>Home</h1>")
    (root / "products" / "chair" / "index.html").write_text("<h1>Chair</h1>")
    (root / "app.1a2b3c4d.js").write_text("go()")
    (root / "app.1a2b3c4d.js.map").write_text("{}")
    (root / ".env").write_text("SHOP_SECRET_KEY=x")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("x")
    manifest = tmp_path / ".shop" / "build-manifest.json"
    write_manifest(manifest, root)
    return root, manifest


def test_a_fresh_manifest_is_trusted_and_matches_hashing(built: tuple[Path, Path]) -> None:
    root, manifest = built
    trusted = collect(root, manifest=manifest)
    hashed = collect(root, manifest=manifest, rehash=True)
    assert trusted.from_manifest and not hashed.from_manifest
    assert trusted.files == hashed.files
    assert sorted(trusted.files) == ["app.1a2b3c4d.js", "index.html", "products/chair/index.html"]


def test_source_maps_only_when_asked(built: tuple[Path, Path]) -> None:
    root, manifest = built
    assert "app.1a2b3c4d.js.map" in collect(root, manifest=manifest, source_maps=True).files


def test_a_file_changed_after_the_build_means_hashing(built: tuple[Path, Path]) -> None:
    root, manifest = built
    page = root / "index.html"
    page.write_text("<h1>Edited by hand</h1>")  # a different size
    source = collect(root, manifest=manifest)
    assert not source.from_manifest
    assert source.files["index.html"].sha256 == hashlib.sha256(page.read_bytes()).hexdigest()

    write_manifest(manifest, root)
    page.write_text("<h1>Edited by HAND</h1>")  # same size, newer than the manifest
    later = manifest.stat().st_mtime + 5
    os.utime(page, (later, later))
    assert not collect(root, manifest=manifest).from_manifest


@pytest.mark.parametrize("change", ["extra file", "missing file", "garbage", "bad entry"])
def test_a_manifest_that_does_not_describe_the_folder_is_ignored(
    built: tuple[Path, Path], change: str
) -> None:
    root, manifest = built
    if change == "extra file":
        (root / "new.html").write_text("new")
    elif change == "missing file":
        (root / "index.html").unlink()
    elif change == "garbage":
        manifest.write_text("{not json")
    else:
        write_manifest(manifest, root, **{"index.html": {"sha256": 5}})
    source = collect(root, manifest=manifest)
    assert not source.from_manifest
    assert set(source.files) == {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts and p.name != ".env" and not p.name.endswith(".map")
    }


def test_links_out_of_the_build_are_not_followed(built: tuple[Path, Path], tmp_path: Path) -> None:
    root, _manifest = built
    secret = tmp_path / "secret.txt"
    secret.write_text("do not publish")
    (root / "leak.txt").symlink_to(secret)
    (root / "alias.html").symlink_to(root / "index.html")
    files = collect(root, manifest=None).files
    assert "leak.txt" not in files and "alias.html" in files


def test_refuses_missing_empty_and_reserved(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such folder"):
        collect(tmp_path / "nope", manifest=None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="nothing to publish"):
        collect(tmp_path / "empty", manifest=None)
    (tmp_path / "odd" / "_shop").mkdir(parents=True)
    (tmp_path / "odd" / "_shop" / "x.json").write_text("{}")
    with pytest.raises(SourceError, match="reserved"):
        collect(tmp_path / "odd", manifest=None)
