"""Benchmark `shop publish`: a 10,000-product site to S3 on a loopback endpoint (moto).

    .venv/bin/python bench/publish.py                    # the generator's build of 10,000 products
    .venv/bin/python bench/publish.py --synthetic        # a synthetic site of the same shape
    .venv/bin/python bench/publish.py --products 2000 --jobs 32

Three publishes, each timed and with its S3 requests counted on the wire (every retry
included): the first (everything), one with no change, and one after editing a single
product and rebuilding. moto's server runs in a process of its own unless `--endpoint` names
another S3 endpoint; its per-request cost (a few ms) dominates, so real S3 differs.
The machine may be shared: figures are wall-clock and vary with its load.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
sys.path.insert(0, str(ROOT.parent))


def _generator_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_build", ROOT / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Site:
    """The folder to publish and a way to change one product in it."""

    def __init__(self, products: int, synthetic: bool) -> None:
        self.products = products
        self.synthetic = synthetic
        if synthetic:
            from tests.site_factory import StaticSite

            self.static = StaticSite.create(OUT / f"publish-synthetic-{products}", products)
            self.root = self.static.root
            self.manifest: Path | None = None
        else:
            self.gen = _generator_bench()
            print(f"creating a catalog of {products:,} products ...", flush=True)
            self.store = self.gen.make_store(products, images=True)
            self._build("first build")
            from shop.generator.manifest import manifest_path

            self.root = self.store / "public"
            self.manifest = manifest_path(self.store, self.root, self.root)

    def _build(self, what: str) -> None:
        started = time.perf_counter()
        summary = self.gen.build(self.store)
        print(
            f"{what}: {summary['pages_written']:,} pages written in {time.perf_counter() - started:.1f} s",
            flush=True,
        )

    def edit_one_product(self) -> None:
        if self.synthetic:
            self.static.edit(self.products // 2)
        else:
            self.gen.edit_one_product(self.store, self.products)
            self._build("rebuild after editing one product")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--synthetic", action="store_true", help="skip the generator; a synthetic site")
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--endpoint", help="an S3 endpoint URL (default: moto in this process)")
    args = parser.parse_args()

    for name, value in (
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        os.environ.setdefault(name, value)
    OUT.mkdir(parents=True, exist_ok=True)
    site = Site(args.products, args.synthetic)

    endpoint = args.endpoint
    server = None
    if not endpoint:
        # moto's server in its own process, so that it and the uploading threads do not
        # share one interpreter lock.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        moto = Path(sys.executable).with_name("moto_server")
        server = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

    import boto3

    from shop.generator.publish import Options, collect, open_target, publish
    from shop.generator.publish.targets import TargetOptions

    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    target = open_target(f"s3://{bucket}/site", TargetOptions(endpoint_url=endpoint, jobs=args.jobs))
    requests: Counter[str] = Counter()
    target.client.meta.events.register(  # type: ignore[attr-defined]
        "before-send.s3", lambda event_name, **_: requests.update([event_name.rsplit(".", 1)[-1]])
    )

    rows = []
    for label, change in (
        ("first publish", None),
        ("no change", None),
        ("one product changed", site.edit_one_product),
    ):
        if change:
            change()
        requests.clear()
        started = time.perf_counter()
        source = collect(site.root, manifest=site.manifest)
        hashed = time.perf_counter() - started
        result = publish(source, target, Options(jobs=args.jobs))
        seconds = time.perf_counter() - started
        rows.append(
            (
                label,
                seconds,
                hashed,
                sum(requests.values()),
                dict(requests),
                result,
                source.from_manifest,
                len(source.files),
            )
        )

    print(
        f"\n{args.products:,} products ({'synthetic' if args.synthetic else 'shop build'}), "
        f"{rows[0][7]:,} files, {rows[0][5].bytes_uploaded / 1e6:,.1f} MB; "
        f"S3 at {endpoint}{' (moto)' if server else ''}, {args.jobs} parallel transfers\n"
    )
    print(
        f"{'':22} {'seconds':>8} {'of which hashing':>17} {'requests':>9} {'uploaded':>9} "
        f"{'deleted':>8}  requests by operation"
    )
    for label, seconds, hashed, total, by_op, result, trusted, _files in rows:
        how = "manifest" if trusted else "hashed"
        print(
            f"{label:22} {seconds:8.2f} {hashed:10.2f} ({how:>8}) {total:9,} {result.uploaded:9,} "
            f"{result.deleted:8,}  {by_op}"
        )
    if server:
        server.terminate()
        server.wait()
    shutil.rmtree(OUT / f"publish-synthetic-{args.products}", ignore_errors=True)


if __name__ == "__main__":
    main()
