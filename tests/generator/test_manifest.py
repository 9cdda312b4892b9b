"""The build manifest's file: what `save` writes, `load` reads back whole."""

from __future__ import annotations

import json
from pathlib import Path

from shop.generator.manifest import Manifest


def _manifest() -> Manifest:
    return Manifest(
        files={
            "b/index.html": {"sha256": "b" * 64, "size": 2},
            "a/index.html": {"sha256": "a" * 64, "size": 1},
        },
        pages={"a/index.html": {"key": "k", "templates": ["base.html", "product.html"], "body": "d"}},
        templates={"product.html": "t"},
        global_key="g",
        derived={"feeds/google-merchant.xml": "f"},
        search={"shards": {"0": "s"}},
        stamp="st",
        image_sources=3,
    )


def test_a_saved_manifest_loads_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    _manifest().save(path)
    assert Manifest.load(path) == _manifest()
    assert list(json.loads(path.read_text())["files"]) == ["a/index.html", "b/index.html"]


def test_pages_serialized_beforehand_make_the_same_manifest(tmp_path: Path) -> None:
    early = _manifest()
    pages_json = early.pages_json()
    early.files["pagefind/0/pagefind.js"] = {"sha256": "c" * 64, "size": 9}  # as the search commit adds
    early.save(tmp_path / "early.json", pages_json=pages_json)
    late = _manifest()
    late.files["pagefind/0/pagefind.js"] = {"sha256": "c" * 64, "size": 9}
    late.save(tmp_path / "late.json")
    assert (tmp_path / "early.json").read_bytes() == (tmp_path / "late.json").read_bytes()
    assert Manifest.load(tmp_path / "early.json") == late
