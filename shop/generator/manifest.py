"""The build manifest: what every output file was made from, kept outside the output folder.

Shape (JSON), shared with `shop publish`:

    {"format": 1,
     "files":  {"products/x/index.html": {"sha256": "...", "size": 1234}, ...},  # every file
     "pages":  {"products/x/index.html": {"key": "...", "templates": ["product.html", ...]}},
     "templates": {"product.html": "<hash>", ...},   # what each template name resolved to
     "global": "<hash of settings, theme settings and asset names>",
     "derived": {"feeds/google-merchant.xml": "<key>", ...},
     "search": {"shards": {"0": "<key>", ...}},
     "stamp": "<catalog stamp, theme and settings: equal means nothing to do>"}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shop.generator.writer import write_atomic

FORMAT = 1


def manifest_path(store_dir: Path, out: Path, default_out: Path) -> Path:
    folder = store_dir / ".shop"
    if out.resolve() == default_out.resolve():
        return folder / "build-manifest.json"
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:12]
    return folder / f"build-manifest-{key}.json"


@dataclass
class Manifest:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    global_key: str = ""
    derived: dict[str, str] = field(default_factory=dict)
    search: dict[str, Any] = field(default_factory=dict)
    stamp: str = ""  # catalog stamp + theme + settings of the build that wrote this
    image_sources: int = 0

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return cls()
        pages = data.get("pages", {})
        shared: dict[tuple[str, ...], list[str]] = {}
        for entry in pages.values():  # one list per distinct set of templates, not per page
            if isinstance(entry, dict) and isinstance(entry.get("templates"), list):
                entry["templates"] = shared.setdefault(tuple(entry["templates"]), entry["templates"])
        return cls(
            files=data.get("files", {}),
            pages=pages,
            templates=data.get("templates", {}),
            global_key=data.get("global", ""),
            derived=data.get("derived", {}),
            search=data.get("search", {}),
            stamp=data.get("stamp", ""),
            image_sources=data.get("image_sources", 0),
        )

    def pages_json(self) -> str:
        return json.dumps(self.pages, separators=(",", ":"))

    def save(self, path: Path, *, pages_json: str | None = None) -> None:
        """`pages_json`: `pages_json()` made earlier, when the pages were final."""
        data = {
            "format": FORMAT,
            "files": dict(sorted(self.files.items())),
            "templates": self.templates,
            "global": self.global_key,
            "derived": self.derived,
            "search": self.search,
            "stamp": self.stamp,
            "image_sources": self.image_sources,
        }
        head = json.dumps(data, separators=(",", ":"))
        pages = self.pages_json() if pages_json is None else pages_json
        write_atomic(path, f'{head[:-1]},"pages":{pages}}}'.encode())
