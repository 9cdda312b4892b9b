"""Lighthouse scores of the demo storefront, page by page, in Debian's Chromium.

    .venv/bin/python bench/lighthouse.py                 # demo store in a temporary folder
    .venv/bin/python bench/lighthouse.py --dir demo-store --lighthouse /opt/lh

Builds `shop demo` (no server), serves it with `shop serve --site` on a free port, and runs
Lighthouse (performance, accessibility, best practices, SEO) on the home page, a category,
a product, and the page shells (cart, checkout, search, account, 404). Lighthouse comes from
the npm registry: `--lighthouse DIR` names a folder where `npm install lighthouse` ran (it is
installed into bench/out/lighthouse when missing). Printed per page: the four scores and each
audit that cost points.

The page shells are `noindex` on purpose (a cart or a 404 must not be in search results),
so Lighthouse's SEO category, which wants every page crawlable, cannot give them 100; that
audit is printed and marked as intended. Performance is measured with Lighthouse's
simulated slow 4G and CPU slowdown; on a loaded machine it wobbles by a few points.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from tests.live_server import free_port  # noqa: E402

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
SHELLS = ("cart/", "checkout/", "search/", "account/", "404.html")
INTENDED = {"is-crawlable"}  # the shells' noindex


def lighthouse_binary(folder: Path | None) -> Path:
    folder = folder or ROOT / "out" / "lighthouse"
    binary = folder / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        if not shutil.which("npm"):
            sys.exit("npm is needed to install Lighthouse (apt-get install npm)")
        folder.mkdir(parents=True, exist_ok=True)
        print(f"installing Lighthouse into {folder} ...", flush=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(folder), "lighthouse@12"], check=True)
    return binary


def audit(binary: Path, url: str, chromium: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        subprocess.run(
            [
                str(binary),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={report.name}",
                f"--only-categories={','.join(CATEGORIES)}",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
            ],
            env={**os.environ, "CHROME_PATH": chromium},
            check=True,
            capture_output=True,
            timeout=300,
        )
        result: dict = json.loads(Path(report.name).read_text())
        return result


def losses(report: dict) -> list[str]:
    lost = []
    for category in report["categories"].values():
        for ref in category["auditRefs"]:
            found = report["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and found.get("score") is not None and found["score"] < 1:
                note = " (intended: noindex)" if ref["id"] in INTENDED else ""
                shown = found.get("displayValue", "")
                lost.append(f"{category['id']}: {ref['id']} {found['score']:.2f} {shown}{note}".rstrip())
    return lost


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, help="demo store folder (default: a temporary one)")
    parser.add_argument("--lighthouse", type=Path, help="folder holding node_modules/.bin/lighthouse")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    binary = lighthouse_binary(args.lighthouse)
    store = args.dir or Path(tempfile.mkdtemp(prefix="shop-lighthouse-"))
    port = free_port()
    shop = [sys.executable, "-m", "shop.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_")}
    subprocess.run(
        [*shop, "demo", "--dir", str(store), "--port", str(port), "--no-serve"], check=True, env=env
    )
    server = subprocess.Popen(
        [*shop, "serve", "--site", "--port", str(port)],
        env={**env, "SHOP_DIR": str(store)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{origin}/api/v1/health")
        category = sorted((store / "public" / "categories").iterdir())[0].name
        product = sorted((store / "public" / "products").iterdir())[0].name
        pages = ["", f"categories/{category}/", f"products/{product}/", *SHELLS]
        print(f"{'page':<34} " + " ".join(f"{c:>14}" for c in CATEGORIES))
        for page in pages:
            report = audit(binary, f"{origin}/{page}", args.chromium)
            scores = [report["categories"][c]["score"] for c in CATEGORIES]
            print(f"/{page:<33} " + " ".join(f"{round((s or 0) * 100):>14}" for s in scores))
            for line in losses(report):
                print(f"    {line}")
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
