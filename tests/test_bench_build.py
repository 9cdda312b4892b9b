"""`bench/build.py` on a tiny catalog: the benchmark itself must keep working.

It drives the real `shop build` command and reads the catalog with the generator's own
reader for Hugo's content, so a change to either can break it without any other test
noticing (as the SQLAlchemy-free catalog read once did). Hugo itself runs only where it is
installed; the figures are the benchmark's business, not this test's.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "build.py"
PRODUCTS = 30


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_build", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_build", module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path / "out")
    monkeypatch.setattr(module, "TRASH", tmp_path / "out" / ".trash")
    return module


def test_the_benchmark_builds_edits_and_writes_hugo_content(bench: ModuleType) -> None:
    store = bench.make_store(PRODUCTS, images=False)
    full = bench.build(store, full=True, jobs=2)
    assert full["pages_written"] > PRODUCTS and full["search_indexed"] is True
    assert full["seconds"] > 0 and full["cpu"] > 0 and full["tree_pss_kb"] > 0

    noop = bench.build(store, jobs=2)
    assert noop["pages_written"] == 0 and noop["pages_unchanged"] == full["pages_written"]

    bench.edit_one_product(store, PRODUCTS)
    edit = bench.build(store, jobs=2)
    assert 0 < edit["pages_written"] < full["pages_written"]

    site = bench.hugo_site(store)
    products = list((site / "content" / "products").glob("*.md"))
    assert len(products) == PRODUCTS
    assert sum("(edited)" in p.read_text() for p in products) == 1
    hugo = shutil.which("hugo")
    if hugo:
        built = bench.hugo_build(hugo, site)
        assert built["pages"] > PRODUCTS and built["product_page_bytes"] > 0


CHILD = """
import subprocess, sys
held = bytearray(200 * 1024 * 1024)
held[::4096] = b"x" * len(held[::4096])  # touched: resident
print("ready", flush=True)
while sys.stdin.readline():  # one command started (with vfork, as subprocess does) per line
    subprocess.run(["true"])
    print("started", flush=True)
"""


def test_a_child_in_its_parents_memory_is_not_counted_again(bench: ModuleType) -> None:
    """A process that starts commands (as the build starts Pagefind) holds 200 MB. Between
    vfork and exec the command runs in its parent's memory, and /proc reports that memory
    for it too: every sample must count it once."""
    if not bench._shares_memory(os.getpid(), os.getpid()):
        pytest.skip("kcmp(2) is not available here, so the benchmark cannot tell")
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdin and parent.stdout
    try:
        assert parent.stdout.readline() == "ready\n"
        alone = bench.tree_memory_kb(parent.pid)[0]
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append(bench.tree_memory_kb(parent.pid)[0])

        sampler = threading.Thread(target=sample)
        sampler.start()
        while len(samples) < 300 and sampler.is_alive():
            parent.stdin.write("\n")
            parent.stdin.flush()
            parent.stdout.readline()
        stop.set()
        sampler.join()
    finally:
        parent.kill()
        parent.wait()
    assert alone > 200 * 1024
    assert max(samples) < alone * 1.25, (alone, sorted(samples)[-5:])
