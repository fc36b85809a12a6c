"""scripts/lambda_build.py reads each function's architecture from SAM's build graph, nested or not."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from lambda_build import architecture_of  # noqa: E402

GRAPH = """
[function_build_definitions.one]
architecture = "x86_64"
functions = ["ApiFunction"]

[function_build_definitions.two]
architecture = "arm64"
functions = ["AuthorizerApp/AuthorizerFunction"]
"""


def test_a_nested_apps_function_takes_its_architecture_from_the_top_build_graph(tmp_path: Path) -> None:
    # GIVEN SAM's build graph next to the build folder, one function top-level and one in a nested app
    (tmp_path / "build.toml").write_text(GRAPH, encoding="utf-8")
    build = tmp_path / "build"
    # THEN each is found under its own artifacts folder
    assert architecture_of("ApiFunction", build / "ApiFunction", {}) == "x86_64"
    nested = build / "AuthorizerApp" / "AuthorizerFunction"
    assert architecture_of("AuthorizerFunction", nested, {}) == "arm64"
