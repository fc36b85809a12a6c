"""Running the `sam` and `python -m devstack` commands from the tests, as a user would."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.client import http
from devstack.ports import LOOPBACK
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
    """The `sam` commands of docs/local-development.md, as written, plus what this machine needs said."""

    arch: str
    # --skip-pull-image when the base image is a stand-in: SAM CLI would otherwise ask a registry first.
    extra: tuple[str, ...]

    @property
    def env(self) -> dict[str, str]:
        # `source .venv/bin/activate`, as the page says (sam build needs its python3.13 on PATH)
        # and no AWS credentials: with some, SAM CLI asks STS for the account id (a call out of this machine).
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
            "VIRTUAL_ENV": str(VENV_BIN.parent),
            "SAM_CLI_TELEMETRY": "0",
        }

    def command(self, prefix: str) -> list[str]:
        """The page's command starting with `prefix`, $ARCH filled in, run with the venv's executables."""
        argv = [arg.replace("$ARCH", self.arch) for arg in readme_command(prefix)]
        if argv[0] in {"sam", "python"}:
            argv[0] = str(VENV_BIN / argv[0])
        if argv[:3] == [str(VENV_BIN / "sam"), "local", argv[2]] and argv[2] in {"invoke", "start-api"}:
            argv += self.extra
        return argv

    def run(self, argv: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def invoke(self, function: str, event: str) -> tuple[Any, subprocess.CompletedProcess[str]]:
        """The page's `sam local invoke FUNCTION ...` line with `-e events/EVENT`."""
        argv = self.command(f"sam local invoke {function} ")
        argv[argv.index("-e") + 1] = f"events/{event}"
        result = self.run(argv)
        assert result.stdout.strip(), result.stderr
        return json.loads(result.stdout), result


DOCS_PAGE = ROOT / "docs" / "local-development.md"  # the Docker section lives on docs/local-development.md
DOCKER_SECTION = "### With Docker: the real `sam local`"


def readme_docker_commands() -> list[str]:
    """The Docker section's command lines (docs/local-development.md): comments cut, `\\` lines joined."""
    text = DOCS_PAGE.read_text(encoding="utf-8")
    section = text[text.index(DOCKER_SECTION) :]
    section = section[: section.index("\n## ")]
    commands: list[str] = []
    for block in section.split("```bash\n")[1:]:
        joined = block[: block.index("```")].replace("\\\n", " ")
        for line in joined.splitlines():
            command = " ".join(line.split("  #", 1)[0].split())
            if command:
                commands.append(command)
    return commands


def readme_command(prefix: str) -> list[str]:
    """The one command of the page starting with `prefix`, split into arguments."""
    (line,) = [command for command in readme_docker_commands() if command.startswith(prefix)]
    return shlex.split(line)


def wait_until_answering(process: subprocess.Popen[bytes], url: str, log: Path | None = None) -> None:
    """Until `url` answers anything over HTTP (sam local start-api is up), at most 180 s."""
    deadline = time.monotonic() + 180
    while True:
        assert process.poll() is None, (
            log.read_text(encoding="utf-8") if log else "sam local start-api exited"
        )
        try:
            http("GET", url)
            return
        except OSError:
            assert time.monotonic() < deadline, "sam local start-api did not answer in 180 s"
            time.sleep(1)


@contextmanager
def start_api(sam: Sam, command: list[str], port: int, log_name: str, probe: str) -> Iterator[str]:
    """`command` (a `sam local start-api` on `port`) in its own process group, its output in .local/LOG_NAME,
    until GET `probe` answers; the API's URL; Ctrl-C (SIGINT to the group) when the block ends."""
    log_path = ROOT / ".local" / log_name
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=sam.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        url = f"http://{LOOPBACK}:{port}"
        try:
            wait_until_answering(process, url + probe, log=log_path)
            yield url
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
