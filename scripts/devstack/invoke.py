"""`python -m devstack.invoke FUNCTION -e events/X.json`: the Docker-free twin of `sam local invoke`.

Runs the function once in the Lambda Runtime Interface Emulator with the environment `sam local invoke`
would give it (template.yaml, then `--env-vars`, events/env.json by default as in samconfig.toml), prints
the result on stdout (the function's logs go to stderr) and exits non-zero when the function fails.

What the function needs is started for the invocation, on free 127.0.0.1 ports:
  * a function with JWKS_URI (the authorizer) gets the local issuer's JWKS, served from the persisted key
    (.local/issuer-key.json, the key that signed events/*.json), and JWKS_URI pointing at it;
  * a function with DYNAMODB_ENDPOINT_URL (the API handler) gets DynamoDB Local with the table created.

`python -m devstack.invoke --sidecars` starts just those two (JWKS and DynamoDB Local), writes
.local/env.json (events/env.json with the live JWKS_URI and DYNAMODB_ENDPOINT_URL) and waits: the env file
for the real `sam local invoke ... --env-vars .local/env.json --docker-network host` (see make_events.py).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import IO, Any

from flask import Flask, Response, jsonify

from devstack.dynamodb_local import dynamodb_local
from devstack.functions import (
    EnvOverrides,
    FunctionSpec,
    dynamic_reference_overrides,
    function_specs,
    load_stacks,
    read_env_overrides,
)
from devstack.issuer import JWKS_PATH, KEY_PATH, load_signing_key, public_jwks
from devstack.lambda_rie import FunctionError, RieFunction
from devstack.servers import serving
from devstack.template import ROOT

DEFAULT_ENV_VARS = ROOT / "events" / "env.json"
LOCAL_ENV_VARS = ROOT / ".local" / "env.json"


def jwks_app(key_path: Path = KEY_PATH) -> Flask:
    """A tiny app serving the local issuer's JWKS (public key only)."""
    app = Flask("devstack.jwks")
    document = public_jwks(load_signing_key(key_path))

    @app.get(JWKS_PATH)
    def jwks() -> Response:
        return jsonify(document)

    return app


@contextmanager
def sidecars(
    specs: Mapping[str, FunctionSpec], key_path: Path = KEY_PATH
) -> Iterator[dict[str, dict[str, str]]]:
    """Start what the functions need (JWKS, DynamoDB Local + table); yield env overrides per function.

    Values the template leaves to CloudFormation dynamic references get random local stand-ins too.
    """
    with ExitStack() as stack:
        overrides: dict[str, dict[str, str]] = {name: {} for name in specs}
        jwks_uri: str | None = None
        dynamodb_url: str | None = None
        created: set[str] = set()
        for name, spec in specs.items():
            env = spec.environment
            overrides[name].update(dynamic_reference_overrides(env))
            if "JWKS_URI" in env:
                if jwks_uri is None:
                    jwks_uri = stack.enter_context(serving(jwks_app(key_path), name="jwks")).url + JWKS_PATH
                overrides[name]["JWKS_URI"] = jwks_uri
            if "DYNAMODB_ENDPOINT_URL" in env:
                if dynamodb_url is None:
                    dynamodb = stack.enter_context(dynamodb_local())
                    dynamodb_url = dynamodb.endpoint_url
                table = env.get("TABLE_NAME")
                if table and table not in created:
                    dynamodb.create_table(table)
                    created.add(table)
                overrides[name]["DYNAMODB_ENDPOINT_URL"] = dynamodb_url
        yield overrides


def _merge(base: EnvOverrides, extra: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    merged = {name: dict(values) for name, values in base.items()}
    for name, values in extra.items():
        merged.setdefault(name, {}).update(values)
    return merged


@contextmanager
def invocation(
    function_name: str,
    env_vars: Path | None = DEFAULT_ENV_VARS,
    parameter_overrides: Mapping[str, str] | None = None,
    key_path: Path = KEY_PATH,
    log_sink: IO[str] | None = None,
) -> Iterator[RieFunction]:
    """The function running in the RIE with its sidecars, for one or more invocations."""
    stacks = load_stacks(parameter_overrides)
    env_overrides = read_env_overrides(env_vars) if env_vars is not None and env_vars.exists() else {}
    specs = function_specs(stacks, env_overrides)
    if function_name not in specs:
        raise KeyError(f"no function {function_name!r} in template.yaml (functions: {', '.join(specs)})")
    spec = specs[function_name]
    with sidecars({function_name: spec}, key_path) as live:
        spec = function_specs(stacks, _merge(env_overrides, live))[function_name]
        function = RieFunction(spec) if log_sink is None else RieFunction(spec, log_sink=log_sink)
        with function:
            yield function


def run_event(function: RieFunction, event: Any) -> tuple[Any, bool]:
    """Invoke once; (result, failed) where a failure is the function's Lambda error payload."""
    try:
        return function.invoke(event), False
    except FunctionError as exc:
        return exc.payload, True


def _parameter_overrides(pairs: Sequence[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--parameter-overrides expects Key=Value, got {pair!r}")
        result[key] = value
    return result


def serve_sidecars(env_vars: Path, out: Path = LOCAL_ENV_VARS) -> int:
    """Run the JWKS and DynamoDB Local for `sam local invoke` with Docker; write their env file."""
    env_overrides = read_env_overrides(env_vars)
    specs = function_specs(load_stacks(), env_overrides)
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with sidecars(specs) as live:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(_merge(env_overrides, live), indent=2) + "\n", encoding="utf-8")
        print(f"Wrote {out}. Now, in another shell (Docker needed):", flush=True)
        print(
            "  sam build && sam local invoke AuthorizerFunction -e events/authorizer-token-valid.json "
            f"--env-vars {out} --docker-network host\nPress Ctrl-C to stop.",
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.invoke", description="The Docker-free twin of `sam local invoke`."
    )
    parser.add_argument("function", nargs="?", help="the function's logical id, e.g. AuthorizerFunction")
    parser.add_argument("-e", "--event", type=Path, help="the event JSON file ('-' for stdin)")
    parser.add_argument("-n", "--env-vars", type=Path, default=DEFAULT_ENV_VARS, help="sam --env-vars file")
    parser.add_argument("--parameter-overrides", nargs="*", default=[], metavar="Key=Value")
    parser.add_argument("--sidecars", action="store_true", help="serve JWKS + DynamoDB Local for real sam")
    parser.add_argument("--out", type=Path, default=LOCAL_ENV_VARS, help="--sidecars: env file to write")
    args = parser.parse_args(argv)
    if args.sidecars:
        return serve_sidecars(args.env_vars, args.out)
    if not args.function:
        parser.error("FUNCTION is required")
    if args.event is None or str(args.event) == "-":
        event = json.load(sys.stdin)
    else:
        event = json.loads(args.event.read_text(encoding="utf-8"))
    try:
        with invocation(args.function, args.env_vars, _parameter_overrides(args.parameter_overrides)) as fn:
            result, failed = run_event(fn, event)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
