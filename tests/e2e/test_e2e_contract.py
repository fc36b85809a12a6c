"""openapi.yaml as a contract: schemathesis, every check on, against the local stack `make run` starts.

Its own stack (the same `local_stack()` as `make run`), so the items schemathesis leaves behind never meet
the other e2e tests. Tokens come from the local issuer's token endpoint. The run is bounded by
CONTRACT_MAX_SECONDS (default 100) and seeded (CONTRACT_SEED, default fixed) so a failure can be replayed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_client import CLIENT_SECRETS, token_request

from devstack.stack import LocalStack, StackOptions, local_stack
from devstack.template import ROOT

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_SECONDS = int(os.environ.get("CONTRACT_MAX_SECONDS", "100"))
SEED = int(os.environ.get("CONTRACT_SEED", "20261202"))


@pytest.fixture(scope="module")
def contract_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    log_path = tmp_path_factory.mktemp("contract") / "functions.log"
    with (
        log_path.open("w", encoding="utf-8") as log,
        local_stack(StackOptions(client_secrets=CLIENT_SECRETS), log_sink=log) as running,
    ):
        yield running


def test_schemathesis_finds_no_failure_with_every_check_on(
    contract_stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a token with every scope (stateful links create, read and delete) from the local issuer
    response = token_request(contract_stack.issuer.token_endpoint, "dev-admin", CLIENT_SECRETS["dev-admin"])
    token = response.json()["access_token"]

    # WHEN schemathesis runs every phase and every check against the stack
    started = time.monotonic()
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(CONFIG),
            "run",
            str(ROOT / "openapi.yaml"),
            "--url",
            contract_stack.api_url.rstrip("/"),
            "--header",
            f"Authorization: Bearer {token}",
            "--max-time",
            str(MAX_SECONDS),
            "--seed",
            str(SEED),
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS + 300,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    elapsed = time.monotonic() - started

    # THEN it exits 0 with zero failures; the case count and time go to the test log
    generated = re.search(r"(\d+) generated", result.stdout)
    with capsys.disabled():
        print(
            f"\nschemathesis: {generated.group(1) if generated else '?'} cases in {elapsed:.0f} s "
            f"(seed {SEED}, every check)"
        )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert generated is not None, result.stdout[-5000:]
    assert int(generated.group(1)) > 0
    assert "failures" not in result.stdout.splitlines()[-1], result.stdout[-5000:]
