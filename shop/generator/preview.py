"""`shop preview`: the storefront and the API on one local origin, rebuilt as you work.

The preview builds into `.shop/preview/` with the local address as its site and API URL,
so the real output folder never holds localhost links. A watcher thread polls the
store's themes (and shop.toml) and the catalog stamp (`stamp.py`); on a
change it rebuilds incrementally, and the open page, which the preview server gave a
tiny script listening to `/__preview/events` (server-sent events), reloads itself.
Template errors are printed and shown in the page; the last good build stays served.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from shop.config import Settings
from shop.generator.snapshot import open_snapshot
from shop.generator.stamp import catalog_stamp

RELOAD_SCRIPT = """<script>(() => {
  const source = new EventSource("/__preview/events");
  let seen = null;
  source.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.error) { console.warn("shop preview: " + data.error); }
    if (seen !== null && data.generation !== seen) { location.reload(); }
    seen = data.generation;
  };
})();</script>"""


class PreviewState:
    def __init__(self) -> None:
        self.generation = 0
        self.error: str | None = None
        self.lock = threading.Lock()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"generation": self.generation, "error": self.error}


class InjectingStaticFiles(StaticFiles):
    """Static files, with the reload script added to every HTML page."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if isinstance(response, FileResponse) and str(response.media_type).startswith("text/html"):
            html = Path(response.path).read_text()
            html = html.replace("</body>", RELOAD_SCRIPT + "</body>", 1)
            return HTMLResponse(html, status_code=response.status_code)
        return response


def theme_stamp(settings: Settings) -> tuple[Any, ...]:
    files: list[Any] = []
    roots = [settings.themes_path]
    for root in roots:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    stat = path.stat()
                    files.append((str(path), stat.st_mtime_ns, stat.st_size))
    toml = settings.dir / "shop.toml"
    if toml.exists():
        files.append((str(toml), toml.stat().st_mtime_ns))
    return tuple(files)


def watch(
    settings: Settings,
    out: Path,
    state: PreviewState,
    rebuild: Callable[[], Any],
    stop: threading.Event,
    *,
    interval: float = 0.5,
) -> None:
    def stamps() -> tuple[Any, ...]:
        with open_snapshot(settings.resolved_database_url) as db:
            return theme_stamp(settings), catalog_stamp(db)

    last = stamps()
    while not stop.wait(interval):
        try:
            now = stamps()
        except Exception:
            continue
        if now == last:
            continue
        last = now
        rebuild()


def run_preview(
    settings: Settings,
    *,
    host: str,
    port: int,
    jobs: int | None,
    echo: Callable[[str], Any],
    reload_settings: Callable[[], Settings] | None = None,
) -> None:
    """`reload_settings` reads the settings again before each rebuild (shop.toml may change)."""
    import uvicorn

    from shop.api.app import create_app
    from shop.generator.pipeline import build_site
    from shop.generator.templating import BuildError

    origin = f"http://{host}:{port}"
    urls = {"site_url": origin, "api_url": f"{origin}/api/v1"}
    local = settings.model_copy(update=urls)
    out = settings.dir / ".shop" / "preview"
    state = PreviewState()

    def rebuild() -> None:
        started = time.perf_counter()
        try:
            current = (reload_settings() if reload_settings else settings).model_copy(update=urls)
            summary = build_site(current, out=out, jobs=jobs)
        except (BuildError, ValueError) as exc:  # ValueError: a setting pydantic refused
            with state.lock:
                state.error = str(exc)
                state.generation += 1
            echo(f"error: {exc}")
            return
        with state.lock:
            state.error = None
            if summary.pages_written or summary.pages_deleted or summary.images_written:
                state.generation += 1
        echo(f"Rebuilt in {time.perf_counter() - started:.2f}s: {summary.line()}")

    summary = build_site(local, out=out, jobs=jobs)
    echo(f"Preview built: {summary.line()}")
    app = create_app(local)

    async def events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            import json

            sent = None
            while not await request.is_disconnected():
                snapshot = state.snapshot()
                if snapshot != sent:
                    sent = snapshot
                    yield f"data: {json.dumps(snapshot)}\n\n"
                await asyncio.sleep(0.3)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    app.add_route("/__preview/events", events)
    app.mount("/", InjectingStaticFiles(directory=out, html=True), name="preview")
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(settings, out, state, rebuild, stop), daemon=True)
    watcher.start()
    echo(f"Previewing {settings.dir} at {origin}/ (API at {origin}/api/v1); Ctrl+C stops.")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1)
    finally:
        stop.set()
        watcher.join(timeout=5)
