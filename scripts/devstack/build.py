"""The built functions as this machine can run them: `sam build` for the host's architecture.

`make build` (and a plain `sam build`) builds for the template's Architecture, arm64 by default, whose
native code (`cryptography`) an x86_64 machine cannot load. `make invoke` (the `sam local invoke` twin),
bench/rie.py and the bytecode tests run what `sam build` ships, its `.pyc` files included, so they build
the same template for this machine's architecture into a folder of their own, HOST_BUILD_DIR. SAM CLI's
build cache (samconfig.toml: cached = true) makes a repeat build quick; a lock keeps two at a time from
writing one folder.
"""

from __future__ import annotations

import fcntl
import os
import platform
import shutil
import subprocess
from pathlib import Path

from devstack.template import ROOT, TEMPLATE_PATH, nested_applications

HOST_BUILD_DIR = ROOT / ".aws-sam" / "host" / "build"
VENV_BIN = ROOT / ".venv" / "bin"
HOST_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


class BuildFailed(RuntimeError):
    """`sam build` failed; the message ends with its output."""


def host_architecture() -> str:
    """The template's Architecture value for this machine (x86_64 or arm64)."""
    machine = platform.machine().lower()
    if machine not in HOST_ARCHITECTURES:
        raise BuildFailed(f"no Lambda architecture for machine {platform.machine()!r}")
    return HOST_ARCHITECTURES[machine]


def host_build(build_dir: Path = HOST_BUILD_DIR, *, copy_to: Path | None = None) -> Path:
    """`sam build` of template.yaml for this machine's architecture into build_dir; returns build_dir.

    Each function is then build_dir / its logical id, as in `.aws-sam/build`, or, in a nested application,
    build_dir / the application's logical id / its logical id: `built_function` finds either. `copy_to`: a
    new folder that gets a copy of the output, taken before any other build can start.
    """
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(VENV_BIN / "sam"),
        "build",
        "--template",
        str(TEMPLATE_PATH),
        "--build-dir",
        str(build_dir),
        "--parameter-overrides",
        f"Architecture={host_architecture()}",
    ]
    # sam build needs python3.13 (the runtime) on PATH: the venv has it (scripts/bootstrap.sh).
    path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PATH": path, "SAM_CLI_TELEMETRY": "0"}
    with (build_dir.parent / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if process.returncode != 0:
            output = f"{process.stdout}{process.stderr}"
            raise BuildFailed(f"{' '.join(command)} exited {process.returncode}:\n{output}")
        if copy_to is not None:  # under the lock: no other build rewrites the folder while it is copied
            shutil.copytree(build_dir, copy_to, symlinks=True, ignore=shutil.ignore_patterns("template.yaml"))
    return build_dir


def built_function(build_dir: Path, logical_id: str, template: Path = TEMPLATE_PATH) -> Path:
    """A function's folder in a `sam build` output: build_dir / logical_id for the template's own functions,
    build_dir / application / logical_id for a nested application's (AuthorizerApp/AuthorizerFunction)."""
    candidates = [build_dir / logical_id] + [
        build_dir / application / logical_id for application in nested_applications(template)
    ]
    found = [candidate for candidate in candidates if candidate.is_dir()]
    if len(found) != 1:
        raise BuildFailed(f"{logical_id}: {len(found)} built folders among {[str(c) for c in candidates]}")
    return found[0]
