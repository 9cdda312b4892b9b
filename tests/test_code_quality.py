"""The house keeps ruff and mypy clean; CI runs them here, beside the tests."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed (pip install -e '.[test]' brings it)")
    return subprocess.run(
        [sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_finds_nothing() -> None:
    checked = _run("ruff", "check", "--no-cache", "shop", "tests", "bench")
    assert checked.returncode == 0, checked.stdout[-5000:]
    formatted = _run("ruff", "format", "--check", "--no-cache", "shop", "tests", "bench")
    assert formatted.returncode == 0, formatted.stdout[-5000:]


def test_mypy_finds_nothing() -> None:
    # mypy's own incremental cache (.mypy_cache, as `mypy shop` uses it): CI runs the suite
    # twice, and a fresh cache each time cost 29 to 33 s a run on a 2-core machine, 2.5 s with it.
    typed = _run("mypy", "shop")
    assert typed.returncode == 0, typed.stdout[-5000:]
