"""The local issuer (devstack.issuer) as its own process, so that it can be stopped, slowed and started alone.

The parent (the local stack) fixes everything the issuer's identity depends on before the first start: the
port (so the issuer URL, which the authorizer trusts, stays the same across restarts), the development
clients' secrets and the signing key file. The child (`python -m devstack.issuer_process`) serves
devstack.issuer's own Flask app with that configuration, behind one addition: a delay before every answer,
read from a file the parent writes (`slow(seconds)`), to reproduce a slow identity provider.

While the stack runs, `python -m devstack issuer stop|start|slow N` controls it (devstack.control).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from devstack.issuer import (
    DEFAULT_AUDIENCE,
    JWKS_PATH,
    KEY_PATH,
    TOKEN_PATH,
    IssuerConfig,
    SignInSettings,
    build_config,
    create_app,
    dev_clients,
    load_signing_key,
)
from devstack.ports import LOOPBACK, free_port, wait_for_port
from devstack.servers import start_wsgi
from devstack.signin import dev_users

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SECRETS_ENV = "DEVSTACK_ISSUER_CLIENT_SECRETS"  # JSON {client_id: secret}: kept off the command line
PASSWORDS_ENV = "DEVSTACK_ISSUER_USER_PASSWORDS"  # JSON {user: password}: kept off the command line too
SCRIPTS_DIR = Path(__file__).resolve().parents[1]


def issuer_config(
    port: int, audience: str, secrets: Mapping[str, str], key_path: Path, signin: SignInSettings | None = None
) -> IssuerConfig:
    """The configuration devstack.issuer.start_issuer builds, from fixed parts (parent and child agree)."""
    return build_config(f"http://{LOOPBACK}:{port}/", audience, secrets, load_signing_key(key_path), signin)


class DelayedApp:
    """WSGI middleware: wait the seconds written in `delay_file` (none when absent) before each answer."""

    def __init__(self, app: WSGIApplication, delay_file: Path) -> None:
        self.app = app
        self.delay_file = delay_file

    def delay(self) -> float:
        try:
            return max(0.0, float(self.delay_file.read_text(encoding="utf-8") or 0))
        except (FileNotFoundError, ValueError):
            return 0.0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        time.sleep(self.delay())
        return self.app(environ, start_response)


class IssuerProcess:
    """The issuer in a child process: `config` as devstack.issuer's RunningIssuer, plus stop/start/slow."""

    def __init__(
        self,
        port: int | None = None,
        audience: str = DEFAULT_AUDIENCE,
        client_secrets: Mapping[str, str] | None = None,
        key_path: Path = KEY_PATH,
        log_sink: IO[str] | None = None,
        *,
        signin: SignInSettings | None = None,
    ) -> None:
        self.port = port or free_port()
        self.key_path = key_path
        # Fixed once: the same secrets and passwords for every start (random ones unless given, as the
        # in-process issuer), so a restart keeps every client and user working.
        clients = dev_clients(client_secrets)
        self.secrets = {client_id: client.client_secret for client_id, client in clients.items()}
        self.secrets["dev-webapp"] = (client_secrets or {}).get("dev-webapp") or secrets.token_urlsafe(24)
        signin = signin or SignInSettings()
        users = dev_users(signin.passwords)
        self.signin = SignInSettings(
            {name: user.password for name, user in users.items()}, signin.spa_url, signin.webapp_url
        )
        self.config = issuer_config(self.port, audience, self.secrets, key_path, self.signin)
        self._workdir = Path(tempfile.mkdtemp(prefix="devstack-issuer-"))
        self.delay_file = self._workdir / "delay"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._log_sink = log_sink

    @property
    def token_endpoint(self) -> str:
        return self.config.base_url + TOKEN_PATH

    @property
    def jwks_uri(self) -> str:
        return self.config.base_url + JWKS_PATH

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.running else None  # type: ignore[union-attr]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> IssuerProcess:
        """Start the child (no-op when it runs) and wait until it accepts connections."""
        if self.running:
            return self
        env = {
            **os.environ,
            SECRETS_ENV: json.dumps(self.secrets),
            PASSWORDS_ENV: json.dumps(dict(self.signin.passwords)),
            "PYTHONPATH": os.pathsep.join([str(SCRIPTS_DIR), os.environ.get("PYTHONPATH", "")]),
        }
        command = [
            sys.executable,
            "-m",
            "devstack.issuer_process",
            "--port",
            str(self.port),
            "--audience",
            self.config.audience,
            "--key",
            str(self.key_path),
            "--delay-file",
            str(self.delay_file),
            *(["--spa-url", self.signin.spa_url] if self.signin.spa_url else []),
            *(["--webapp-url", self.signin.webapp_url] if self.signin.webapp_url else []),
        ]
        # Its request log would drown the stack's; it is kept in a file, shown when the start fails.
        log = self._workdir / "issuer.log"
        with log.open("ab") as log_file:
            self.process = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file
            )
        try:
            wait_for_port(self.port, timeout=30)
        except TimeoutError as exc:
            self.stop()
            raise RuntimeError(
                f"the issuer did not start: {log.read_text(errors='replace')[-2000:]}"
            ) from exc
        self.starts += 1
        self._log(f"devstack: issuer started (pid {self.process.pid}) on {self.config.issuer}")
        return self

    def stop(self) -> None:
        """Stop the child (no-op when it is not running): an issuer outage."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self._log(f"devstack: issuer stopped (pid {process.pid})")

    def slow(self, seconds: float) -> None:
        """Delay every answer of the issuer by `seconds` from now on (0: back to normal)."""
        if seconds < 0:
            raise ValueError("slow: seconds must be >= 0")
        self.delay_file.write_text(str(seconds), encoding="utf-8")
        self._log(f"devstack: issuer answers {seconds:g} s late from now on")

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def _log(self, line: str) -> None:
        if self._log_sink is not None:
            self._log_sink.write(line + "\n")
            self._log_sink.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """The child: serve devstack.issuer's app with the parent's configuration until SIGTERM."""
    import argparse  # noqa: PLC0415 - the child alone parses arguments

    parser = argparse.ArgumentParser(prog="python -m devstack.issuer_process")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--audience", default=DEFAULT_AUDIENCE)
    parser.add_argument("--key", type=Path, default=KEY_PATH)
    parser.add_argument("--delay-file", type=Path, required=True)
    parser.add_argument("--spa-url")
    parser.add_argument("--webapp-url")
    args = parser.parse_args(argv)
    client_secrets: dict[str, Any] = json.loads(os.environ.get(SECRETS_ENV, "{}"))
    passwords: dict[str, str] = json.loads(os.environ.get(PASSWORDS_ENV, "{}"))
    signin = SignInSettings(passwords, args.spa_url, args.webapp_url)
    config = issuer_config(args.port, args.audience, client_secrets, args.key, signin)
    server = start_wsgi(DelayedApp(create_app(config), args.delay_file), args.port, "issuer")

    def terminate(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminate)
    try:
        server.thread.join()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
