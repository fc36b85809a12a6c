"""The README's quick start, run as written: `make run` from the repository, then the first request's commands
in a shell, with the secret and ports `make run` printed put where the README shows its example values; then
Ctrl-C as a terminal sends it (SIGINT to the whole process group), which stops everything at once."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from docs_pages import ROOT, command_blocks, command_lines
from e2e_processes import ctrl_c, kill_tree, read_until, start_as_a_terminal_would

pytestmark = pytest.mark.slow

README = ROOT / "README.md"
# The example values the README's first request shows, which stand for what `make run` prints.
EXAMPLE_ISSUER = "http://127.0.0.1:52343"
EXAMPLE_API = "http://127.0.0.1:41173"
EXAMPLE_SECRET = "<secret>"


def json_documents(text: str) -> list[Any]:
    """The JSON documents printed one after the other."""
    decoder, documents, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        documents.append(document)
    return documents


def quick_start_blocks() -> tuple[list[str], str]:
    """The README's two-command block (as lines) and its first-request block (as text)."""
    blocks = command_blocks(README)
    (two_commands,) = [b for b in blocks if command_lines(b.text)[:1] == ["make run"]]
    first_request = next(b for b in blocks if EXAMPLE_API in b.text and "curl" in b.text)
    return command_lines(two_commands.text), first_request.text


def test_the_readmes_two_commands_are_make_run_and_the_test_command_ci_runs() -> None:
    commands, _ = quick_start_blocks()
    assert commands == ["make run", "make test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test\b", ci, re.MULTILINE), "CI must run the README's test command"


def test_make_run_then_the_first_request_work_as_the_readme_shows_them(tmp_path: Path) -> None:
    # GIVEN `make run`, exactly as the README has it, in its own process group (as a terminal runs it)
    commands, first_request = quick_start_blocks()
    process = start_as_a_terminal_would(commands[0].split(), ROOT)
    try:
        printed = read_until(process, "Press Ctrl-C to stop.", timeout=300)
        api = re.search(r"^API\s+(http://127\.0\.0\.1:\d+)/$", printed, re.MULTILINE)
        issuer = re.search(r"^Issuer\s+(http://127\.0\.0\.1:\d+)/", printed, re.MULTILINE)
        secret = re.search(r"^\s+dev-admin\s+(\S+)\s+scopes:", printed, re.MULTILINE)
        assert api is not None, printed
        assert issuer is not None, printed
        assert secret is not None, printed

        # WHEN the README's first request runs in a shell, with what `make run` printed in place
        script = (
            first_request.replace(EXAMPLE_SECRET, secret.group(1))
            .replace(EXAMPLE_ISSUER, issuer.group(1))
            .replace(EXAMPLE_API, api.group(1))
        )
        shell = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        # THEN /me names the client, and the POST answers the item it stored
        assert shell.returncode == 0, shell.stderr
        me, created = json_documents(shell.stdout)  # curl -s prints each answer without a newline
        assert me["sub"] == "dev-admin@clients"
        assert created["name"] == "first item"

        # AND Ctrl-C (SIGINT to the whole group, DynamoDB Local and the RIEs included) stops everything,
        # with nothing restarted on the way down
        rest, still_alive = ctrl_c(process)
        assert "Stopped." in rest, rest
        assert "restarting" not in rest, rest
        assert still_alive == set()
    finally:
        kill_tree(process)
