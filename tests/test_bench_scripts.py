"""The other benchmarks, each run once on a tiny store: a benchmark nobody runs breaks
unnoticed (as `bench/build.py` once did; it has its own test, `test_bench_build.py`).

`bench/api.py` is left out: even at one second a scenario it seeds and warms up for over a
minute. The figures are the benchmarks' business; these tests only check that each one runs
to the end and prints what it measures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.parametrize(
    ("script", "args", "printed"),
    [
        (
            "csv_import_export.py",
            ["--products", "20"],
            ["import (all new)", "re-import (every price)", "export"],
        ),
        ("outbox_worker.py", ["--events", "20", "--workers", "2"], ["20 mails in"]),
        (
            "admin.py",
            ["--sqlite", "--products", "20", "--orders", "20", "--repeat", "1"],
            ["products list", "orders search (e-mail)", "dashboard"],
        ),
    ],
)
def test_a_benchmark_runs_to_the_end(
    tmp_path: Path, script: str, args: list[str], printed: list[str]
) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # their stores go here, not in /tmp
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for text in printed:
        assert text in result.stdout, result.stdout
