"""Themes: where templates and static files come from, and what `theme.toml` says.

A theme is a folder with `theme.toml`, `templates/` and `static/`. The store's own
`themes/<name>/` comes first, then its parent themes, then the shipped `default`; the
same relative path wins. Each theme is also reachable by name, so a template can extend
the one it overrides: `{% extends "default:product.html" %}`.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).resolve().parent.parent / "themes"
DEFAULT = "default"


class ThemeError(Exception):
    """A theme that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Theme:
    name: str
    root: Path
    parent: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def static(self) -> Path:
        return self.root / "static"


def find_theme(name: str, store_themes: Path) -> Theme:
    """The store's `themes/NAME` if it exists, else the shipped theme NAME."""
    if (store_themes / name).is_dir():
        return _read(name, store_themes / name)
    if (SHIPPED / name / "theme.toml").exists():
        return _read(name, SHIPPED / name)
    raise ThemeError(f"theme {name!r}: no folder {store_themes / name} and no shipped theme of that name")


def _read(name: str, root: Path) -> Theme:
    toml = root / "theme.toml"
    data: dict[str, Any] = {}
    if toml.exists():
        try:
            data = tomllib.loads(toml.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ThemeError(f"{toml}: {exc}") from None
    parent = data.get("parent", None if name == DEFAULT and root.parent == SHIPPED else DEFAULT)
    if parent is not None and not isinstance(parent, str):
        raise ThemeError(f"{toml}: parent must be a theme name")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise ThemeError(f"{toml}: [settings] must be a table")
    return Theme(
        name=str(data.get("name", name)),
        root=root,
        parent=parent or None,
        settings=settings,
        description=str(data.get("description", "")),
    )


def theme_chain(name: str, store_themes: Path) -> list[Theme]:
    """The theme, its parents, and finally the shipped default (each once)."""
    chain: list[Theme] = []
    seen: set[Path] = set()
    current: Theme | None = find_theme(name, store_themes)
    while current is not None:
        if current.root in seen:
            raise ThemeError(f"theme {current.name!r}: its parents form a loop")
        seen.add(current.root)
        chain.append(current)
        if current.parent is None:
            break
        parent_name = current.parent
        store_root = store_themes / parent_name
        # A theme named like its parent (a store's own "default") extends the shipped one.
        if store_root.is_dir() and store_root not in seen:
            current = _read(parent_name, store_root)
        else:
            current = _read(parent_name, SHIPPED / parent_name) if (SHIPPED / parent_name).is_dir() else None
            if current is None:
                raise ThemeError(f"theme {chain[-1].name!r}: parent theme {parent_name!r} not found")
    if chain[-1].root != SHIPPED / DEFAULT:
        chain.append(_read(DEFAULT, SHIPPED / DEFAULT))
    return chain


def merged_settings(chain: list[Theme]) -> dict[str, Any]:
    """Parent settings overlaid by each child's, key by key."""
    merged: dict[str, Any] = {}
    for theme in reversed(chain):
        merged.update(theme.settings)
    return merged


def static_files(chain: list[Theme]) -> dict[str, Path]:
    """Relative path -> file, the child's file winning."""
    files: dict[str, Path] = {}
    for theme in reversed(chain):
        if theme.static.is_dir():
            for path in sorted(theme.static.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    files[path.relative_to(theme.static).as_posix()] = path
    return files


def template_hashes(chain: list[Theme]) -> dict[str, str]:
    """What each template name resolves to, hashed: plain names and `theme:name` ones."""
    hashes: dict[str, str] = {}
    for theme in chain:
        if not theme.templates.is_dir():
            continue
        for path in sorted(theme.templates.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                relative = path.relative_to(theme.templates).as_posix()
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
                hashes.setdefault(relative, digest)
                hashes[f"{theme.name}:{relative}"] = digest
    return hashes


def list_themes(store_themes: Path) -> list[tuple[Theme, str]]:
    """Every theme the store can use, with where it lives ("store" or "shipped")."""
    found: list[tuple[Theme, str]] = []
    names: set[str] = set()
    if store_themes.is_dir():
        for root in sorted(p for p in store_themes.iterdir() if p.is_dir()):
            found.append((_read(root.name, root), "store"))
            names.add(root.name)
    for root in sorted(p for p in SHIPPED.iterdir() if p.is_dir() and (p / "theme.toml").exists()):
        found.append(
            (
                _read(root.name, root),
                "shipped" if root.name not in names else "shipped (overridden)",
            )
        )
    return found


EXAMPLE_OVERRIDE = """\
{#- This template overrides the default theme's product page and extends it, so only the
    blocks written here change. Copy more blocks from the default theme's product.html
    (or other templates) as you need them; everything else keeps coming from the parent. -#}
{% extends "default:product.html" %}

{% block product_notes %}
  {{ super() }}
  <p class="note">Made with care by {{ site.name }}.</p>
{% endblock %}
"""


def new_theme(name: str, store_themes: Path, *, parent: str = DEFAULT) -> Path:
    """A child theme with a theme.toml and one overridden template as an example."""
    if not name or not all(ch.isalnum() or ch in "-_" for ch in name):
        raise ThemeError(f"theme name {name!r}: use letters, digits, '-' and '_'")
    root = store_themes / name
    if root.exists():
        raise ThemeError(f"{root}: already exists")
    (root / "templates").mkdir(parents=True)
    (root / "static").mkdir()
    (root / "theme.toml").write_text(
        f'name = "{name}"\nparent = "{parent}"\ndescription = "A child theme of {parent}."\n\n'
        "# Settings templates read as theme.settings.<key>; unset keys come from the parent.\n"
        '[settings]\n# accent = "#0b5fff"\n# products_per_page = 48\n'
    )
    (root / "templates" / "product.html").write_text(EXAMPLE_OVERRIDE)
    return root
