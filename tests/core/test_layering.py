"""core/ is the domain: it must not import the web edges, the generator or web frameworks.

Checked on the source (imports anywhere in a module, including inside functions), so a lazy
import cannot hide a dependency the way it would from an import-time check.
"""

from __future__ import annotations

import ast
from pathlib import Path

import shop.core

FORBIDDEN = ("shop.api", "shop.admin", "shop.generator", "shop.cli", "fastapi", "starlette", "sqladmin")


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_core_imports_no_edge_or_web_framework() -> None:
    root = Path(shop.core.__file__).parent
    offenders = [
        f"{path.relative_to(root.parent.parent)}:{line} imports {name}"
        for path in sorted(root.rglob("*.py"))
        for line, name in _imports(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    ]
    assert offenders == []


def test_the_check_sees_a_lazy_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from shop.generator.pipeline import build_site\n")
    assert _imports(module) == [(2, "shop.generator.pipeline")]
