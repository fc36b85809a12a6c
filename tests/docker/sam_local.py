"""Running the README's `sam` and `python -m devstack` commands from the tests, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from typing import Any

from devstack.template import ROOT

LAMBDA_IMAGE_REPO = "public.ecr.aws/lambda/python"
STAND_IN_LABEL = "org.oauth-protected-api.stand-in"
VENV_BIN = ROOT / ".venv" / "bin"


def is_stand_in(image: str) -> bool:
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", image],
        capture_output=True,
        text=True,
        check=True,
    )
    labels = json.loads(result.stdout) or {}
    return STAND_IN_LABEL in labels


@dataclass(frozen=True)
class Sam:
    """The README's `sam` commands, as written there, plus what this machine needs said."""

    arch: str
    # --skip-pull-image when the base image is a stand-in: SAM CLI would otherwise ask a registry first.
    extra: tuple[str, ...]

    @property
    def env(self) -> dict[str, str]:
        # `source .venv/bin/activate`, as the README says (sam build needs its python3.13 on PATH)
        # and no AWS credentials: with some, SAM CLI asks STS for the account id (a call out of this machine).
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
            "VIRTUAL_ENV": str(VENV_BIN.parent),
            "SAM_CLI_TELEMETRY": "0",
        }

    def arch_args(self) -> list[str]:
        return ["--parameter-overrides", f"Architecture={self.arch}"]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "sam"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def invoke(self, function: str, event: str, *more: str) -> tuple[Any, subprocess.CompletedProcess[str]]:
        """`sam local invoke FUNCTION -e events/EVENT ... --parameter-overrides Architecture=$ARCH`."""
        result = self.run(
            "local", "invoke", function, "-e", f"events/{event}", *more, *self.arch_args(), *self.extra
        )
        assert result.stdout.strip(), result.stderr
        return json.loads(result.stdout), result


def devstack(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m devstack.ARGS` with the venv's python, as after `source .venv/bin/activate`."""
    return subprocess.run(
        [str(VENV_BIN / "python"), "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
