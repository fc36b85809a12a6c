"""The real `sam local` with Docker (`make test-docker`, which sets SAM_LOCAL_DOCKER_ARCH after making
sure a daemon answers and the images are there). A plain `pytest` run collects nothing here."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sam_local import LAMBDA_IMAGE_REPO, Sam, is_stand_in

from devstack.template import ROOT

ARCH = os.environ.get("SAM_LOCAL_DOCKER_ARCH", "")
if not ARCH:
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def sam() -> Sam:
    image = f"{LAMBDA_IMAGE_REPO}:3.13-{ARCH}"
    stand_in = is_stand_in(image)
    if stand_in:
        print(
            f"\nNOTE: {image} is a stand-in built from Debian packages; adding --skip-pull-image",
            file=sys.stderr,
        )
    return Sam(ARCH, ("--skip-pull-image",) if stand_in else ())


@pytest.fixture(scope="session")
def built(sam: Sam) -> Path:
    """`sam build --parameter-overrides Architecture=$ARCH`."""
    result = sam.run(sam.command("sam build --parameter-overrides"), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return ROOT / ".aws-sam" / "build"


@pytest.fixture(scope="module")
def dynamodb(sam: Sam) -> Iterator[str]:
    """`python -m devstack.docker_local up` (a fresh, empty table); `down` afterwards. Yields its output."""
    result = sam.run(sam.command("python -m devstack.docker_local up"))
    assert result.returncode == 0, result.stderr
    try:
        yield result.stdout
    finally:
        stopped = sam.run(sam.command("python -m devstack.docker_local down"))
        assert stopped.returncode == 0, stopped.stderr
