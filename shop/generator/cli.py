"""`shop build`, `shop theme new|list`, `shop preview`: thin commands over the generator."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

theme_app = typer.Typer(help="Storefront themes.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("build")(build)
    app.command("preview")(preview)
    app.add_typer(theme_app, name="theme")


def build(
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default SHOP_OUTPUT_DIR).")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore the manifest; render everything.")] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", min=1, help="Worker processes (default: CPUs).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary instead of text.")] = False,
) -> None:
    """Render the static storefront; only what changed since the last build is written."""
    from shop.cli import fail, load_settings
    from shop.generator.pipeline import build_site
    from shop.generator.templating import BuildError

    settings = load_settings()
    try:
        with _progress(enabled=not as_json and sys.stdout.isatty()) as progress:
            summary = build_site(settings, out=out, full=full, jobs=jobs, progress=progress)
    except BuildError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(_hint(exc))
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        typer.echo(f"Built {summary.out}: {summary.line()}")


def _hint(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "no such table" in text or "does not exist" in text:
        return f"the database has no tables yet; run `shop db upgrade` first ({text})"
    return text


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    labels = {"pages": "Rendering pages", "images": "Resizing images", "search": "Indexing search"}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, advance: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], advance=advance, total=total)

        yield update


@theme_app.command("new")
def theme_new(
    name: Annotated[str, typer.Argument(help="Folder name under the store's themes/.")],
    parent: Annotated[str, typer.Option(help="The theme it extends.")] = "default",
) -> None:
    """Make a child theme with one overridden template as an example (not a copy of everything)."""
    from shop.cli import fail, load_settings
    from shop.generator.themes import ThemeError, new_theme, theme_chain

    settings = load_settings()
    try:
        theme_chain(parent, settings.themes_path)
        root = new_theme(name, settings.themes_path, parent=parent)
    except ThemeError as exc:
        fail(str(exc))
    typer.echo(f"Created theme {name} in {root} (extends {parent}; overrides templates/product.html).")
    typer.echo(f'Use it: set theme = "{name}" in shop.toml (or SHOP_THEME={name}), then `shop preview`.')


@theme_app.command("list")
def theme_list() -> None:
    """The themes this store can use; the active one is marked with *."""
    from shop.cli import fail, load_settings
    from shop.generator.themes import ThemeError, list_themes

    settings = load_settings()
    try:
        themes = list_themes(settings.themes_path)
    except ThemeError as exc:
        fail(str(exc))
    for theme, where in themes:
        mark = (
            "*"
            if (theme.root.name == settings.theme and where == "store")
            or (theme.root.name == settings.theme and not (settings.themes_path / settings.theme).is_dir())
            else " "
        )
        parent = f" (extends {theme.parent})" if theme.parent else ""
        typer.echo(f"{mark} {theme.root.name:<20} {where:<8}{parent}  {theme.description}".rstrip())


def preview(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8001,
    jobs: Annotated[int | None, typer.Option("--jobs", min=1, help="Worker processes for rebuilds.")] = None,
) -> None:
    """Serve a preview build and the API; rebuild on changes and reload the open page."""
    from shop.cli import fail, load_settings
    from shop.generator.preview import run_preview
    from shop.generator.templating import BuildError

    settings = load_settings()
    try:
        run_preview(
            settings,
            host=host,
            port=port,
            jobs=jobs,
            echo=typer.echo,
            reload_settings=_fresh_settings,
        )
    except BuildError as exc:
        fail(str(exc))


def _fresh_settings() -> Any:
    """The store's settings read again (shop.toml may have changed since the last build)."""
    from shop.config import get_settings

    get_settings.cache_clear()
    return get_settings()
