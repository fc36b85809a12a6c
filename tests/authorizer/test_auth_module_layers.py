"""The authorizer's modules form layers a reader can follow from app.py down: no module imports, directly or
through others, a module that imports it back (imports inside functions and under TYPE_CHECKING count too)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "authorizer" / "oauth_authorizer"


def imports_of(path: Path) -> set[str]:
    """The oauth_authorizer modules a module imports anywhere in its source."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("oauth_authorizer"):
            if node.module == "oauth_authorizer":
                found.update(f"oauth_authorizer.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("oauth_authorizer."))
    return found


def module_graph() -> dict[str, set[str]]:
    return {f"oauth_authorizer.{path.stem}": imports_of(path) for path in sorted(PACKAGE.glob("*.py"))}


def test_the_authorizers_modules_import_each_other_without_a_cycle() -> None:
    graph = module_graph()
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {' -> '.join(cycle.args[1])}") from None
    assert set(graph) <= set(order)


def test_the_cycle_check_finds_a_cycle_through_a_type_checking_import(tmp_path: Path) -> None:
    # GIVEN two modules that import each other, one of them only for type checking
    (tmp_path / "a.py").write_text("from oauth_authorizer.b import B\n")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from oauth_authorizer.a import A\n"
    )
    graph = {f"oauth_authorizer.{p.stem}": imports_of(p) for p in tmp_path.glob("*.py")}
    # THEN the sorter refuses them
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError:
        return
    raise AssertionError("the cycle was not found")


def test_token_cache_sits_below_tokens() -> None:
    graph = module_graph()
    assert "oauth_authorizer.token_cache" in graph["oauth_authorizer.tokens"]
    assert "oauth_authorizer.tokens" not in graph["oauth_authorizer.token_cache"]
