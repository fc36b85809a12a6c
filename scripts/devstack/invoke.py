"""`python -m devstack.invoke FUNCTION -e events/X.json`: the Docker-free twin of `sam local invoke`.

Runs the function once in the Lambda Runtime Interface Emulator with the environment `sam local invoke`
would give it (template.yaml, then `--env-vars`: events/env.json by default, the same file samconfig.toml
gives the real `sam local`), prints the result on stdout (the function's logs go to stderr) and exits
non-zero when the function fails (`sam local invoke` itself exits 0 then; it prints the same payload).

The authorizer needs nothing started: events/env.json carries its key set inline (JWKS). A function with
DYNAMODB_ENDPOINT_URL (the API handler) gets DynamoDB Local on a free 127.0.0.1 port with its table
created, in place of the env file's endpoint (which names DynamoDB Local on the Docker network, for the
real `sam local`; see devstack.docker_local).

Like `sam local invoke` after `sam build`, it runs the built function, bytecode included: `sam build` for
this machine's architecture into .aws-sam/host/build (devstack.build; cached after the first time).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

from devstack.build import built_function, host_build
from devstack.dynamodb_local import dynamodb_local
from devstack.functions import (
    EnvOverrides,
    FunctionSpec,
    dynamic_reference_overrides,
    function_specs,
    load_stacks,
    read_env_overrides,
)
from devstack.lambda_rie import FunctionError, RieFunction
from devstack.template import ROOT

DEFAULT_ENV_VARS = ROOT / "events" / "env.json"


@contextmanager
def sidecars(specs: Mapping[str, FunctionSpec]) -> Iterator[dict[str, dict[str, str]]]:
    """Start what the functions need (DynamoDB Local + table); yield env overrides per function.

    Values the template leaves to CloudFormation dynamic references get random local stand-ins too.
    """
    with ExitStack() as stack:
        overrides: dict[str, dict[str, str]] = {name: {} for name in specs}
        dynamodb_url: str | None = None
        created: set[str] = set()
        for name, spec in specs.items():
            env = spec.environment
            overrides[name].update(dynamic_reference_overrides(env))
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
    log_sink: IO[str] | None = None,
    *,
    built: bool = True,
) -> Iterator[RieFunction]:
    """The function running in the RIE with its sidecars, for one or more invocations.

    `built`: the function as `sam build` ships it (for this machine's architecture); else its source folder.
    """
    stacks = load_stacks(parameter_overrides)
    env_overrides = read_env_overrides(env_vars) if env_vars is not None and env_vars.exists() else {}
    specs = function_specs(stacks, env_overrides)
    if function_name not in specs:
        raise KeyError(f"no function {function_name!r} in template.yaml (functions: {', '.join(specs)})")
    spec = specs[function_name]
    code_dir = built_function(host_build(), function_name) if built else spec.code_dir
    with sidecars({function_name: spec}) as live:
        spec = function_specs(stacks, _merge(env_overrides, live))[function_name]
        spec = dataclasses.replace(spec, code_dir=code_dir)
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.invoke", description="The Docker-free twin of `sam local invoke`."
    )
    parser.add_argument("function", help="the function's logical id, e.g. AuthorizerFunction")
    parser.add_argument("-e", "--event", type=Path, help="the event JSON file ('-' for stdin)")
    parser.add_argument("-n", "--env-vars", type=Path, default=DEFAULT_ENV_VARS, help="sam --env-vars file")
    parser.add_argument("--parameter-overrides", nargs="*", default=[], metavar="Key=Value")
    args = parser.parse_args(argv)
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
