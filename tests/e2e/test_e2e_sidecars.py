"""`python -m devstack.invoke --sidecars`: the JWKS and DynamoDB Local for the real `sam local invoke`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from e2e_client import http
from e2e_processes import alive, descendants, kill_tree, read_until

from devstack.issuer import load_signing_key
from devstack.make_events import EVENTS_DIR
from devstack.template import ROOT

pytestmark = pytest.mark.slow


def test_sidecars_write_a_working_env_file_and_stop_cleanly(tmp_path: Path) -> None:
    # GIVEN the sidecars running with their env file written
    out = tmp_path / "env.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    command = [sys.executable, "-m", "devstack.invoke", "--sidecars", "--out", str(out)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        read_until(process, "Press Ctrl-C to stop.", timeout=120)
        written = json.loads(out.read_text())
        committed = json.loads((EVENTS_DIR / "env.json").read_text())
        children = descendants(process.pid)

        # THEN it is events/env.json with live loopback URLs filled in
        jwks_uri = written["AuthorizerFunction"].pop("JWKS_URI")
        endpoint = written["ApiFunction"].pop("DYNAMODB_ENDPOINT_URL")
        # The template's {{resolve:secretsmanager:...}} cannot be resolved locally: a random stand-in
        page_token_key = written["ApiFunction"].pop("PAGE_TOKEN_KEY")
        assert len(page_token_key) >= 32
        assert not page_token_key.startswith("{{")
        assert {
            name: {k: v for k, v in values.items() if k not in {"JWKS_URI", "DYNAMODB_ENDPOINT_URL"}}
            for name, values in committed.items()
        } == written
        keys = http("GET", jwks_uri).json()["keys"]
        assert [key["kid"] for key in keys] == [load_signing_key().kid]
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        assert dynamodb.list_tables()["TableNames"] == [committed["ApiFunction"]["TABLE_NAME"]]

        # WHEN it is stopped, THEN nothing it started is left
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        assert {pid for pid in children if alive(pid)} == set()
    finally:
        kill_tree(process)
