"""`sam build` of one Python function, with the bytecode Lambda needs: run by each function's Makefile.

    python3.13 scripts/lambda_build.py FUNCTION_LOGICAL_ID SOURCE_DIR   (ARTIFACTS_DIR set by sam build)

template.yaml gives both functions `Metadata: BuildMethod: makefile`, so `sam build` runs
`make build-<LogicalId>` in a copy of the function's folder with ARTIFACTS_DIR set. This does what SAM's
own Python build does (the same aws-lambda-builders `python_pip` workflow, as a library: the function's
code and its requirements.txt, with the native wheels of the function's architecture), then compiles
every module of the output to bytecode. SAM's own build ships no `.pyc`, and Lambda's file system is
read-only: every cold start compiled every module it imported (docs/performance.md, "Performance").

The bytecode:
- unchecked-hash `.pyc` files (PEP 552): the interpreter loads them without looking at the source's
  timestamp or contents. A timestamp `.pyc` records the source's mtime to the second, and the deployment
  zip keeps mtimes to two seconds, so Lambda could find a timestamp `.pyc` stale and compile anyway
  (and a checked-hash one would read and hash every source file at every import);
- at optimization level 0: the only level an interpreter started without -O (Lambda's) loads
  (`X.cpython-313.pyc`; `.opt-1.pyc` files would be ignored), and the one that keeps `assert`
  statements and docstrings, which Powertools' event handler reads for its OpenAPI descriptions;
- for the runtime's Python only: a `.pyc` is specific to one minor version, so this refuses to run on
  any other interpreter than the template's runtime (python3.13).

The architecture is the function's, as SAM resolved it for this build: `sam build` does not hand it to
a Makefile, but its build graph (`build.toml`, next to the build folder) records each function's
architecture before any function is built. ARCHITECTURE in the environment overrides it (e.g. for a
`--use-container` build, where `uname -m` is the target's).
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import hashlib
import os
import py_compile
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

RUNTIME = "python3.13"
ARCHITECTURES = ("x86_64", "arm64")
# The level an interpreter without -O or PYTHONOPTIMIZE loads (Lambda's): see the module docstring.
OPTIMIZATION_LEVEL = 0
INVALIDATION_MODE = py_compile.PycInvalidationMode.UNCHECKED_HASH
COMPLETE = ".complete"  # written last into a dependency cache entry


class BuildError(RuntimeError):
    """The function cannot be built as asked; the message says why."""


def architecture_of(function: str, artifacts_dir: Path, environ: dict[str, str]) -> str:
    """The function's architecture: ARCHITECTURE, else the one SAM's build graph records for it."""
    explicit = environ.get("ARCHITECTURE", "").strip()
    if explicit:
        if explicit not in ARCHITECTURES:
            raise BuildError(f"ARCHITECTURE must be one of {', '.join(ARCHITECTURES)}, not {explicit!r}")
        return explicit
    # samcli.lib.build.build_graph: "<build dir>/../build.toml"; ARTIFACTS_DIR is "<build dir>/<LogicalId>",
    # or "<build dir>/<App>/<LogicalId>" for a function of a nested application, which the graph names
    # "<App>/<LogicalId>".
    top_level = artifacts_dir.parent.parent / "build.toml"
    graph = top_level if top_level.exists() else artifacts_dir.parent.parent.parent / "build.toml"
    names = {function} if top_level.exists() else {f"{artifacts_dir.parent.name}/{function}"}
    try:
        definitions = tomllib.loads(graph.read_text(encoding="utf-8")).get("function_build_definitions", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(
            f"cannot read SAM's build graph {graph} for {function}'s architecture ({exc}); "
            "set ARCHITECTURE=x86_64 or arm64"
        ) from exc
    found = {d.get("architecture") for d in definitions.values() if names & set(d.get("functions", []))}
    if len(found) != 1 or not found <= set(ARCHITECTURES):
        raise BuildError(
            f"SAM's build graph {graph} gives {function} the architectures {sorted(map(str, found))}; "
            "set ARCHITECTURE=x86_64 or arm64"
        )
    return str(found.pop())


def dependencies(source_dir: Path, architecture: str, cache_dir: Path) -> Path:
    """requirements.txt installed for the architecture and compiled, in cache_dir (built once per content).

    SAM caches a Python function's dependencies in its own folder keyed by requirements.txt; a Makefile
    build gets no such folder, so this keeps one of its own, keyed the same way (and by architecture).
    """
    from aws_lambda_builders.builder import LambdaBuilder  # type: ignore[import-untyped]  # noqa: PLC0415

    manifest = source_dir / "requirements.txt"
    key = hashlib.sha256(
        f"{RUNTIME} {architecture} {INVALIDATION_MODE.name}\n".encode() + manifest.read_bytes()
    )
    target = cache_dir / f"{architecture}-{key.hexdigest()[:20]}"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel builds of two functions with one requirements.txt
        if (target / COMPLETE).exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix="lambda-build-") as scratch:
            only_manifest = Path(scratch, "source")
            only_manifest.mkdir()
            shutil.copy2(manifest, only_manifest / "requirements.txt")
            LambdaBuilder(language="python", dependency_manager="pip", application_framework=None).build(
                str(only_manifest),
                str(target),
                str(Path(scratch, "scratch")),
                str(only_manifest / "requirements.txt"),
                runtime=RUNTIME,
                architecture=architecture,
            )
        compile_bytecode(target)
        (target / COMPLETE).touch()
    return target


def install(source_dir: Path, artifacts_dir: Path, architecture: str, cache_dir: Path) -> None:
    """The function's code and its dependencies into artifacts_dir, as SAM's python_pip build lays them out.

    The dependencies come compiled from the cache; the code is compiled here.
    """
    from aws_lambda_builders.workflows.python_pip.workflow import (  # type: ignore[import-untyped]  # noqa: PLC0415
        PythonPipWorkflow,
    )

    deps = dependencies(source_dir, architecture, cache_dir)
    shutil.copytree(deps, artifacts_dir, ignore=shutil.ignore_patterns(COMPLETE), dirs_exist_ok=True)
    # The code as SAM's Python build copies it (its excluded files), without this build's Makefile.
    excluded = shutil.ignore_patterns(*PythonPipWorkflow.EXCLUDED_FILES, "Makefile")
    code = Path(tempfile.mkdtemp(prefix="lambda-build-code-"))
    try:
        shutil.copytree(source_dir, code, ignore=excluded, dirs_exist_ok=True)
        compile_bytecode(code)
        shutil.copytree(code, artifacts_dir, dirs_exist_ok=True)
    finally:
        shutil.rmtree(code, ignore_errors=True)


def compile_bytecode(artifacts_dir: Path) -> None:
    """Compile every module under artifacts_dir; BuildError on a module that does not compile."""
    ok = compileall.compile_dir(
        str(artifacts_dir),
        quiet=1,
        optimize=OPTIMIZATION_LEVEL,
        invalidation_mode=INVALIDATION_MODE,
        workers=1,
    )
    if not ok:
        raise BuildError(f"compileall failed under {artifacts_dir}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lambda_build.py", description=__doc__.splitlines()[0])
    parser.add_argument("function", help="the function's logical id (make target build-<LogicalId>)")
    parser.add_argument("source_dir", type=Path, help="the function's code (the folder sam build copied)")
    parser.add_argument("--cache-dir", type=Path, required=True, help="where installed dependencies are kept")
    args = parser.parse_args(argv)
    try:
        if f"python{sys.version_info.major}.{sys.version_info.minor}" != RUNTIME:
            version = sys.version.split()[0]
            raise BuildError(f"run with {RUNTIME} (the runtime's bytecode), not Python {version}")
        artifacts = os.environ.get("ARTIFACTS_DIR", "").strip()
        if not artifacts:
            raise BuildError("ARTIFACTS_DIR is not set: run through `sam build` (BuildMethod: makefile)")
        artifacts_dir = Path(artifacts).resolve()
        architecture = architecture_of(args.function, artifacts_dir, dict(os.environ))
        install(args.source_dir.resolve(), artifacts_dir, architecture, args.cache_dir.resolve())
        sources = sum(1 for _ in artifacts_dir.rglob("*.py"))
    except BuildError as exc:
        print(f"lambda_build: {args.function}: {exc}", file=sys.stderr)
        return 1
    print(f"lambda_build: {args.function}: {architecture}, {sources} modules compiled (unchecked-hash .pyc)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
