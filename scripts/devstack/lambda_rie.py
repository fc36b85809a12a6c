"""Run a function in AWS's Lambda Runtime Interface Emulator (RIE) under awslambdaric, without Docker.

This is the runtime path `sam local start-api` / `sam local invoke` use inside their containers: the
`aws-lambda-rie` binary shipped in the aws-sam-cli wheel (samcli/local/rapid/, aws-sam-cli pinned to
1.170.0 in requirements-dev.txt) serves the Lambda invoke API and drives the runtime interface client
`python -m awslambdaric app.lambda_handler`. One process per function, kept warm between invocations
like a Lambda execution environment. The function's output goes to our stderr, prefixed by its name.

Supervised as Lambda supervises its environments: when the process has died (killed, crashed, out of
memory), the next invocation starts a new one first, a new cold start, and says so in the log.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import samcli

from devstack.children import start_child, stop_child
from devstack.functions import FunctionSpec
from devstack.ports import LOOPBACK, free_port, wait_for_port

RAPID_DIR = Path(samcli.__file__).resolve().parent / "local" / "rapid"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
RIE_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


class FunctionError(Exception):
    """The function raised (or returned) a Lambda error: {"errorMessage", "errorType", ...}."""

    def __init__(self, payload: dict[str, Any]):
        super().__init__(str(payload.get("errorMessage", "")))
        self.payload = payload
        self.error_message = str(payload.get("errorMessage", ""))
        self.error_type = str(payload.get("errorType", ""))


def rie_binary() -> Path:
    """The RIE binary for this machine's architecture, from the aws-sam-cli wheel."""
    arch = RIE_ARCHITECTURES.get(platform.machine().lower())
    if arch is None:
        raise RuntimeError(f"no Lambda RIE binary for machine {platform.machine()!r}")
    path = RAPID_DIR / f"aws-lambda-rie-{arch}"
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: is aws-sam-cli installed in this venv?")
    return path


def rie_launch(
    code_dir: Path,
    handler: str,
    environment: Mapping[str, str],
    *,
    runtime: str,
    python: str,
    port: int,
    runtime_api_port: int,
    layer_dirs: tuple[Path, ...] = (),
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run `handler` from `code_dir` in the Lambda RIE with
    awslambdaric, listening on 127.0.0.1:`port` (the devstack's functions and bench/rie.py alike)."""
    env = {
        # A clean environment like Lambda's: the function sees only its own variables.
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        **environment,
        "LAMBDA_TASK_ROOT": str(code_dir),
        # Lambda's order: the function's own code, then its layers' (/opt/python).
        "PYTHONPATH": os.pathsep.join(str(path) for path in (code_dir, *layer_dirs)),
        "_HANDLER": handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
        "PYTHONUNBUFFERED": "1",
    }
    # The binary has no --help and waits forever without these flags, so all of them are explicit.
    command = [
        str(rie_binary()),
        "--log-level",
        "error",
        "--runtime-interface-emulator-address",
        f"{LOOPBACK}:{port}",
        "--runtime-api-address",
        f"{LOOPBACK}:{runtime_api_port}",
        python,
        "-m",
        "awslambdaric",
        handler,
    ]
    return command, env


def is_error_payload(payload: object) -> bool:
    """Whether an invoke result is a Lambda error (the shape the runtime reports for a raised exception)."""
    return isinstance(payload, dict) and {"errorMessage", "errorType"} <= payload.keys()


def _pump(stream: IO[bytes], prefix: str, sink: IO[str]) -> None:
    for raw in iter(stream.readline, b""):
        sink.write(f"{prefix}{raw.decode('utf-8', errors='replace').rstrip()}\n")
        sink.flush()


@dataclass
class RieFunction:
    """A function running in the RIE on 127.0.0.1; `invoke` is one synchronous Lambda invocation."""

    spec: FunctionSpec
    python: str = sys.executable
    log_sink: IO[str] = field(default_factory=lambda: sys.stderr)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pump_thread: threading.Thread | None = None
    # How many execution environments were started: 1 after start(), +1 per restart after a death.
    starts: int = 0

    @property
    def invoke_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}{INVOKE_PATH}"

    def start(self) -> RieFunction:
        module, _, _function = self.spec.handler.rpartition(".")
        if not module:
            raise ValueError(f"{self.spec.name}: handler {self.spec.handler!r} is not module.function")
        self.port = free_port()
        runtime_api_port = free_port()
        command, env = rie_launch(
            self.spec.code_dir,
            self.spec.handler,
            self.spec.environment,
            runtime=self.spec.runtime,
            python=self.python,
            port=self.port,
            runtime_api_port=runtime_api_port,
            layer_dirs=self.spec.layer_dirs,
        )
        self.process = start_child(
            command,
            cwd=self.spec.code_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        self._pump_thread = threading.Thread(
            target=_pump,
            args=(self.process.stdout, f"[{self.spec.name}] ", self.log_sink),
            name=f"rie-log-{self.spec.name}",
            daemon=True,
        )
        self._pump_thread.start()
        try:
            wait_for_port(self.port, timeout=30)
        except TimeoutError:
            self.stop()
            raise
        self.starts += 1
        return self

    def _restart_if_dead(self) -> None:
        """A dead environment is replaced by a new one (a cold start), as Lambda would; logged."""
        process = self.process
        if process is not None and process.poll() is None:
            return
        if process is None and self.starts == 0:
            raise RuntimeError(f"{self.spec.name} was never started")
        code = None if process is None else process.returncode
        self.log_sink.write(
            f"devstack: {self.spec.name} runtime exited (code {code}); "
            "starting a new execution environment (cold start)\n"
        )
        self.log_sink.flush()
        self.stop()
        self.start()

    def invoke_raw(self, event: bytes) -> bytes:
        """Invoke once with a JSON event; the raw result (a Lambda error payload is a result too)."""
        # One invocation at a time per execution environment, as in Lambda (and the RIE).
        with self._lock:
            self._restart_if_dead()
            try:
                return self._post(event)
            except urllib.error.URLError as exc:
                if not isinstance(exc.reason, ConnectionRefusedError) or self.process is None:
                    raise  # delivered (or not ours to judge): the invocation failed, as in Lambda
                # Refused: never delivered, so safe to hand to a new environment when this one is dying
                # (a SIGKILL takes a moment: the invocation in flight saw the reset, this one the refusal).
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=5)
                if self.process.poll() is None:
                    raise
                self._restart_if_dead()
                return self._post(event)

    def _post(self, event: bytes) -> bytes:
        # S310: the URL is always http://127.0.0.1:PORT, built above.
        request = urllib.request.Request(self.invoke_url, data=event, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=self.spec.timeout + 30) as response:  # noqa: S310
            body: bytes = response.read()
            return body

    def invoke(self, event: Any) -> Any:
        """Invoke once; the decoded result, or FunctionError when the function failed."""
        result = json.loads(self.invoke_raw(json.dumps(event).encode()) or b"null")
        if is_error_payload(result):
            raise FunctionError(result)
        return result

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        stop_child(process, timeout=5)  # the runtime (awslambdaric), the RIE's child, goes with it
        if self._pump_thread is not None:
            self._pump_thread.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> RieFunction:
        return self.start() if self.process is None else self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def check_runtime(spec: FunctionSpec, python: str = sys.executable) -> str | None:
    """A warning when this Python is not the function's runtime (the functions' tests still run on it)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if python == sys.executable and spec.runtime != version:
        return f"{spec.name} declares {spec.runtime}; running it on {version} ({python})"
    return None
