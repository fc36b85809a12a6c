"""The issuer as its own process: stopped, slowed and started alone, with the same URL, clients and key.

Also `python -m devstack issuer stop|start|slow N` through the control endpoint a running stack serves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_client import CLIENT_SECRETS, http, token_request

from devstack.control import run_command, serving_control
from devstack.issuer_process import IssuerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[IssuerProcess]:
    process = IssuerProcess(client_secrets=CLIENT_SECRETS, key_path=tmp_path / "key.json")
    process.start()
    yield process
    process.close()


def _running(issuer: IssuerProcess) -> bool:
    # A call, not the property: mypy would narrow `issuer.running` across the commands in between.
    return issuer.running


def _token_status(issuer: IssuerProcess) -> int:
    return token_request(issuer.token_endpoint, "dev-admin", CLIENT_SECRETS["dev-admin"]).status


def test_the_issuer_runs_in_its_own_process_and_restarts_with_the_same_identity(
    issuer: IssuerProcess,
) -> None:
    first_pid = issuer.pid
    jwks = http("GET", issuer.jwks_uri).json()
    assert _token_status(issuer) == 200

    issuer.stop()
    assert (issuer.running, issuer.pid) == (False, None)
    issuer.start()

    assert issuer.pid not in {None, first_pid}
    assert issuer.starts == 2
    assert _token_status(issuer) == 200  # the same client secrets
    assert http("GET", issuer.jwks_uri).json() == jwks  # the same signing key
    discovery = http("GET", issuer.config.base_url + "/.well-known/openid-configuration").json()
    assert discovery["issuer"] == issuer.config.issuer  # the same URL, which the authorizer trusts


def test_slow_delays_answers_and_zero_undoes_it_counted_by_the_delay_file(issuer: IssuerProcess) -> None:
    issuer.slow(0.5)
    assert issuer.delay_file.read_text(encoding="utf-8") == "0.5"
    assert _token_status(issuer) == 200  # slow, not failing
    issuer.slow(0)
    assert issuer.delay_file.read_text(encoding="utf-8") == "0"
    with pytest.raises(ValueError, match=">= 0"):
        issuer.slow(-1)


def test_the_devstack_issuer_command_controls_a_running_stacks_issuer(
    issuer: IssuerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    control_file = tmp_path / "devstack-control.json"
    with serving_control(issuer, control_file):
        assert json.loads(control_file.read_text(encoding="utf-8"))["url"].startswith("http://127.0.0.1:")
        assert run_command(["issuer", "stop"], control_file) == 0
        assert not _running(issuer)
        assert run_command(["issuer", "start"], control_file) == 0
        assert _running(issuer)
        assert run_command(["issuer", "slow", "0.25"], control_file) == 0
        assert issuer.delay_file.read_text(encoding="utf-8") == "0.25"
        assert run_command(["issuer", "slow", "-3"], control_file) == 2
        assert run_command(["issuer", "restart"], control_file) == 2
    assert not control_file.exists()
    assert run_command(["issuer", "stop"], control_file) == 1  # no running stack
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "issuer stopped"
    assert out[1].startswith("issuer running (pid ")
    assert out[-1].startswith("no running local stack")
