"""`shop preview`'s parts: change detection, the reload script, the rebuild loop."""

from __future__ import annotations

import threading

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from shop.config import Settings
from shop.core.catalog.models import Product
from shop.core.db import make_session_factory, unit_of_work
from shop.generator.pipeline import build_site
from shop.generator.preview import InjectingStaticFiles, theme_stamp, watch
from shop.generator.snapshot import open_snapshot
from shop.generator.stamp import catalog_stamp
from tests.generator.conftest import FixtureCatalog


def test_stamps_change_with_the_catalog_and_the_theme(
    settings: Settings, catalog: FixtureCatalog, engine: Engine
) -> None:
    def stamp() -> str:
        with open_snapshot(settings.resolved_database_url) as db:
            return catalog_stamp(db)

    before = stamp()
    assert stamp() == before
    with unit_of_work(make_session_factory(engine)) as s:
        s.get_one(Product, catalog.cap).title = "Another title"
    assert stamp() != before
    themes = theme_stamp(settings)
    (settings.themes_path / "mine" / "templates").mkdir(parents=True)
    (settings.themes_path / "mine" / "templates" / "home.html").write_text("x")
    assert theme_stamp(settings) != themes


def test_watch_rebuilds_after_an_edit(settings: Settings, catalog: FixtureCatalog, engine: Engine) -> None:
    from shop.generator.preview import PreviewState

    rebuilt = threading.Event()
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(settings, settings.output_path, PreviewState(), rebuilt.set, stop),
        kwargs={"interval": 0.05},
    )
    thread.start()
    try:
        assert not rebuilt.wait(0.3)
        with unit_of_work(make_session_factory(engine)) as s:
            s.get_one(Product, catalog.cap).title = "Edited"
        assert rebuilt.wait(5)
    finally:
        stop.set()
        thread.join(5)


def test_html_gets_the_reload_script_and_other_files_do_not(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    build_site(settings, jobs=1)
    app = Starlette()
    app.mount("/", InjectingStaticFiles(directory=settings.output_path, html=True))
    with TestClient(app) as client:
        page = client.get("/products/canvas-cap/")
        assert page.status_code == 200 and "/__preview/events" in page.text
        assert page.text.count("EventSource") == 1
        missing = client.get("/no/such/page/")
        assert missing.status_code == 404 and "Page not found" in missing.text
        assert "/__preview/events" in missing.text
        robots = client.get("/robots.txt")
        assert "EventSource" not in robots.text
