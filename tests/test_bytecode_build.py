"""`sam build` ships bytecode: the first import of each function, in a read-only copy of the build output
with new timestamps (as Lambda unpacks the zip), compiles no source file.

The build is `sam build` for this machine's architecture (devstack.build.host_build: the same Makefile
build as `make build`, whose arm64 native code an x86_64 machine could not import).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.build import built_function, host_build
from lambda_loader import fresh_interpreter_report

PROBE = Path(__file__).with_name("bytecode_probe.py")
FUNCTIONS = ("AuthorizerFunction", "ApiFunction")
# What each function's settings need to import (nothing is fetched or called by an import).
ENVIRONMENTS = {
    "AuthorizerFunction": {
        "ISSUER": "https://issuer.example.com/",
        "AUDIENCE": "https://items.example.com",
        "ROUTE_SCOPES": '{"GET /me": []}',
        "POWERTOOLS_TRACE_DISABLED": "true",
    },
    "ApiFunction": {
        "TABLE_NAME": "items",
        "PAGE_TOKEN_KEY": "bytecode-test-page-token-key-0123456789abcdef",
        "POWERTOOLS_TRACE_DISABLED": "true",
    },
}
READ_ONLY_DIRECTORY = stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH
# PEP 552: the flags word of a .pyc. 0b01: hash-based, and the source is not checked (unchecked-hash).
UNCHECKED_HASH_FLAGS = 0b01

pytestmark = pytest.mark.skipif(
    not (Path(sys.prefix) / "bin" / "python3.13").exists(), reason="sam build needs python3.13 (the runtime)"
)


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the host build, taken under the build's lock (another run may rebuild the folder)."""
    copy = tmp_path_factory.mktemp("host") / "build"
    host_build(copy_to=copy)
    return copy


def read_only_copy(source: Path, target: Path) -> Path:
    """A copy with every timestamp new (as unpacking a zip gives) and nothing writable."""
    shutil.copytree(source, target, symlinks=True)
    later = time.time() + 3600
    for root, _dirs, files in os.walk(target):
        for name in files:
            os.utime(Path(root, name), (later, later))
    for root, _dirs, files in os.walk(target, topdown=False):
        for name in files:
            Path(root, name).chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        Path(root).chmod(
            stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH
        )
    return target


def writable(root: Path) -> None:
    for directory, _dirs, _files in os.walk(root):
        Path(directory).chmod(stat.S_IRWXU)


@pytest.fixture
def copies(build_dir: Path, tmp_path: Path) -> Iterator[dict[str, Path]]:
    made = {name: read_only_copy(built_function(build_dir, name), tmp_path / name) for name in FUNCTIONS}
    yield made
    for path in made.values():
        writable(path)


def first_import(code_dir: Path, function: str) -> dict[str, object]:
    # PYTHONDONTWRITEBYTECODE: read-only for root too (Lambda's /var/task is read-only for everyone).
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONDONTWRITEBYTECODE": "1",
        **ENVIRONMENTS[function],
    }
    return fresh_interpreter_report([sys.executable, str(PROBE), str(code_dir)], env, cwd=code_dir)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_first_import_of_the_read_only_build_compiles_no_source_file(
    copies: dict[str, Path], function: str
) -> None:
    # GIVEN a read-only copy of the built function, every timestamp changed
    # WHEN a fresh interpreter imports its app.py
    report = first_import(copies[function], function)
    # THEN every module came from the shipped bytecode: not one source file was compiled
    assert report["compiled"] == []
    assert isinstance(report["loaded"], int)
    assert report["loaded"] > 40  # the function's modules and its dependencies' came from the copy


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_module_of_the_build_has_its_unchecked_hash_bytecode(build_dir: Path, function: str) -> None:
    root = built_function(build_dir, function)
    sources = sorted(root.rglob("*.py"))
    tag = sys.implementation.cache_tag  # cpython-313: the runtime's
    missing, flags = [], set()
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        if not pyc.exists():
            missing.append(str(source.relative_to(root)))
            continue
        flags.add(int.from_bytes(pyc.read_bytes()[4:8], "little"))
    assert len(sources) > 100
    assert missing == []
    assert flags == {UNCHECKED_HASH_FLAGS}
    # Only level 0 (what Lambda's interpreter loads): no .opt-1 / .opt-2 files
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*.opt-*.pyc")) == []


def test_without_the_bytecode_the_same_import_compiles_every_module_it_loads(
    build_dir: Path, tmp_path: Path
) -> None:
    # GIVEN the built API handler without its __pycache__ folders (what SAM's own build shipped), read-only
    source = tmp_path / "source"
    shutil.copytree(
        built_function(build_dir, "ApiFunction"), source, ignore=shutil.ignore_patterns("__pycache__")
    )
    bare = read_only_copy(source, tmp_path / "ApiFunction")
    try:
        # WHEN a fresh interpreter imports its app.py
        report = first_import(bare, "ApiFunction")
    finally:
        writable(bare)
    # THEN it compiles each module it loads from the function (the probe sees what the first test would)
    compiled = report["compiled"]
    assert isinstance(compiled, list)
    assert "app.py" in compiled
    assert len(compiled) == report["loaded"]
