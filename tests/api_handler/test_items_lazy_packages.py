"""items_api/lazy_packages.py: the deferred Powertools package inits resolve every name as the real ones do.

Each check runs in a fresh interpreter (the deferral changes sys.modules for the process).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from devstack.template import ROOT
from items_api.lazy_packages import PACKAGES

CODE_DIR = ROOT / "api_handler"


def run(code: str) -> object:
    """Run `code` after defer_package_inits() in a fresh interpreter; the JSON its last line prints."""
    prelude = (
        f"import json, sys; sys.path.insert(0, {str(CODE_DIR)!r})\n"
        "from items_api.lazy_packages import defer_package_inits\n"
        "defer_package_inits()\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=120, check=False
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def names_bound_by_init(package: str) -> dict[str, str]:
    """{name: submodule} for every `from .submodule import name` of the package's own __init__.py."""
    spec = importlib.util.find_spec(package)
    assert spec is not None
    assert spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    bound: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is not None:
            for alias in node.names:
                bound[alias.asname or alias.name] = node.module
    return bound


def test_each_table_entry_is_where_the_package_init_takes_the_name_from() -> None:
    # GIVEN the names the function takes from data_classes without its init
    table = PACKAGES["aws_lambda_powertools.utilities.data_classes"]
    # THEN the package's own __init__.py binds each from the same submodule
    bound = names_bound_by_init("aws_lambda_powertools.utilities.data_classes")
    assert {name: bound.get(name) for name in table} == dict(table)


def test_the_resolver_module_takes_from_the_deferred_packages_only_names_the_table_resolves() -> None:
    # GIVEN the resolver module's `from <deferred package> import ...` statements
    spec = importlib.util.find_spec("aws_lambda_powertools.event_handler.api_gateway")
    assert spec is not None
    assert spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    taken = sorted(
        (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module in PACKAGES
        for alias in node.names
    )
    # THEN each is a table entry or a submodule, so none of them runs a package init
    assert taken == [
        ("aws_lambda_powertools.event_handler", "content_types"),
        *sorted(
            ("aws_lambda_powertools.utilities.data_classes", name)
            for name in (
                "ALBEvent",
                "APIGatewayProxyEvent",
                "APIGatewayProxyEventV2",
                "BedrockAgentEvent",
                "LambdaFunctionUrlEvent",
                "VPCLatticeEvent",
                "VPCLatticeEventV2",
            )
        ),
    ]


def test_a_table_name_comes_from_its_submodule_without_running_the_package_init() -> None:
    outcome = run(
        "from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2\n"
        "from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import "
        "APIGatewayProxyEventV2 as real\n"
        "package = sys.modules['aws_lambda_powertools.utilities.data_classes']\n"
        "print(json.dumps([APIGatewayProxyEventV2 is real, type(package).__name__, "
        "'aws_lambda_powertools.utilities.data_classes.sqs_event' in sys.modules]))"
    )
    assert outcome == [True, "_InitOnFirstUse", False]


def test_any_other_name_runs_the_real_package_init_in_place() -> None:
    # WHEN code outside this function's imports asks the deferred packages for what only their inits bind
    outcome = run(
        "from aws_lambda_powertools import Tracer\n"
        "from aws_lambda_powertools.utilities.data_classes import SQSEvent\n"
        "from aws_lambda_powertools.event_handler import AppSyncResolver\n"
        "import aws_lambda_powertools.tracing, aws_lambda_powertools.event_handler.appsync\n"
        "print(json.dumps([Tracer is aws_lambda_powertools.tracing.Tracer, SQSEvent.__name__,\n"
        "    AppSyncResolver is aws_lambda_powertools.event_handler.appsync.AppSyncResolver,\n"
        "    sorted({type(sys.modules[name]).__name__ for name in (\n"
        "        'aws_lambda_powertools', 'aws_lambda_powertools.event_handler',\n"
        "        'aws_lambda_powertools.utilities.data_classes')})]))"
    )
    # THEN each gets the real object, and each package is a plain, fully initialized package from then on
    assert outcome == [True, "SQSEvent", True, ["module"]]


def test_the_package_init_side_effects_are_done_once_at_deferral() -> None:
    outcome = run(
        "import logging, botocore\n"
        "package_logger = logging.getLogger('aws_lambda_powertools')\n"
        "from aws_lambda_powertools.shared.user_agent import _initializer_botocore_session\n"
        "print(json.dumps([[type(h).__name__ for h in package_logger.handlers], package_logger.propagate,\n"
        "    botocore._INITIALIZERS.count(_initializer_botocore_session)]))"
    )
    assert outcome == [["NullHandler"], False, 1]
