"""The template's functions as SAM CLI sees them: code root, handler, runtime and resolved environment.

SAM CLI's own providers (`SamLocalStackProvider`, `SamFunctionProvider`) read template.yaml with the
parameter overrides, merge the Globals and resolve `!Ref`/`!If` in the environment; SAM CLI's own
`EnvironmentVariables` then adds the AWS_* variables and applies `--env-vars`-style overrides, exactly
as `sam local invoke` does.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samcli.lib.providers.provider import Stack
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.local.lambdafn.env_vars import EnvironmentVariables

from devstack.template import ROOT, TEMPLATE_PATH

# SAM CLI would otherwise send telemetry; everything here stays on 127.0.0.1.
os.environ["SAM_CLI_TELEMETRY"] = "0"

REGION = "us-east-1"
# Local-only credentials: DynamoDB Local accepts anything, and nothing here may reach AWS.
LOCAL_AWS_CREDS = {"region": REGION, "key": "local", "secret": "local"}

# sam --env-vars files: {"Parameters": {VAR: value}, "FunctionLogicalId": {VAR: value}}
EnvOverrides = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class FunctionSpec:
    """One function of the template, ready to run in the Lambda Runtime Interface Emulator."""

    name: str
    code_dir: Path
    handler: str
    runtime: str
    memory: int
    timeout: int
    environment: dict[str, str] = field(repr=False)
    # The code of the function's layers defined in the template (Lambda: /opt/python), after code_dir.
    layer_dirs: tuple[Path, ...] = ()
    # Its FunctionName as SAM CLI resolves it (the logical id without one). An API's authorizer in another
    # stack (the nested authorizer application) names the function by it.
    function_name: str = ""


@contextmanager
def samcli_template_processing() -> Iterator[None]:
    """Around SAM CLI's template processing: it calls samtranslator's deprecated SamTemplateValidator.

    (aws-sam-cli 1.170.0; not ours to fix, and pytest turns every warning into an error.)
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"samcli\.lib\.samlib\.wrapper")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"samtranslator\.validator\.")
        yield


def load_stacks(
    parameter_overrides: Mapping[str, str] | None = None, template_path: Path = TEMPLATE_PATH
) -> list[Stack]:
    """The template's stacks, as SAM CLI builds them for `sam local` commands."""
    # SamLocalStackProvider logs harmless notices (e.g. about the AWS::LanguageExtensions transform).
    logging.getLogger("samcli").setLevel(logging.WARNING)
    with samcli_template_processing():
        stacks, _remote = SamLocalStackProvider.get_stacks(
            str(template_path),
            parameter_overrides=dict(parameter_overrides or {}),
            global_parameter_overrides={"AWS::Region": REGION},
        )
    return list(stacks)


def read_env_overrides(path: Path) -> dict[str, dict[str, str]]:
    """Read a sam `--env-vars` JSON file."""
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(f"{path}: expected {{FunctionName: {{VAR: value}}}} as for sam --env-vars")
    return {str(k): {str(n): str(v) for n, v in vars_.items()} for k, vars_ in data.items()}


def _overrides_for(name: str, env_overrides: EnvOverrides) -> dict[str, str]:
    # The same precedence as `sam local invoke --env-vars`: "Parameters" for all, then the function's own.
    return {**env_overrides.get("Parameters", {}), **env_overrides.get(name, {})}


# Secrets a function reads from Secrets Manager at run time: the variable naming the secret, and the
# variable the template declares empty for a local value, which the function then uses instead.
RUN_TIME_SECRETS = {"PAGE_TOKEN_SECRET_ARN": "PAGE_TOKEN_KEY"}


def dynamic_reference_overrides(environment: Mapping[str, str]) -> dict[str, str]:
    """Random stand-ins for values only AWS can give: CloudFormation dynamic references ({{resolve:...}})
    and the secrets of RUN_TIME_SECRETS.

    CloudFormation resolves a dynamic reference at deploy time; locally it would reach the function as
    the literal reference text, the same string in every run. A secret read at run time cannot be read
    here at all (nothing here may reach AWS). A fresh random value per run is what a generated secret
    is: unknown to anyone else.
    """
    stand_ins = {
        name: secrets.token_urlsafe(48)
        for name, value in environment.items()
        if value.startswith("{{resolve:")
    }
    for secret_variable, local_variable in RUN_TIME_SECRETS.items():
        if secret_variable in environment and local_variable in environment:
            stand_ins[local_variable] = secrets.token_urlsafe(48)
    return stand_ins


def function_specs(
    stacks: list[Stack], env_overrides: EnvOverrides | None = None, root: Path = ROOT
) -> dict[str, FunctionSpec]:
    """Every function of the stacks by logical id, with the environment `sam local invoke` would give it.

    Functions of nested applications (AuthorizerApp/AuthorizerFunction) are keyed by their own logical id,
    as `sam local invoke AuthorizerFunction` finds them; two functions of one logical id are an error.
    """
    specs: dict[str, FunctionSpec] = {}
    with samcli_template_processing():
        functions = list(SamFunctionProvider(stacks).get_all())
    for function in functions:
        if function.name in specs:
            raise ValueError(
                f"two functions named {function.name} in the template and its nested applications"
            )
        environment = function.environment or {}
        variables = environment.get("Variables", {}) if isinstance(environment, dict) else {}
        env = EnvironmentVariables(
            function.name,
            function.memory,
            function.timeout,
            function.handler,
            function.logging_config,
            variables=variables,
            shell_env_values=os.environ,
            override_values=_overrides_for(function.name, env_overrides or {}),
            aws_creds=LOCAL_AWS_CREDS,
        ).resolve()
        specs[function.name] = FunctionSpec(
            name=function.name,
            code_dir=(root / str(function.codeuri)).resolve(),
            handler=str(function.handler),
            runtime=str(function.runtime),
            memory=int(function.memory or 128),
            timeout=int(function.timeout or 3),
            environment={str(k): str(v) for k, v in env.items()},
            layer_dirs=tuple(
                (root / str(layer.codeuri)).resolve()
                for layer in function.layers
                if layer.is_defined_within_template
            ),
            function_name=function.functionname if isinstance(function.functionname, str) else function.name,
        )
    return specs
