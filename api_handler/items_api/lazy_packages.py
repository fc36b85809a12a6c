"""Three Powertools package inits that this function's cold start does not need: each runs on first use.

Importing any module of Powertools runs the `__init__.py` of every package above it first, and three of
them import far more than this function uses (together about half of what importing app.py cost after
boto3 became lazy; docs/performance.md, "Performance"):
- `aws_lambda_powertools` binds Logger, Metrics and Tracer (the Tracer module, X-Ray or not), then sets
  Powertools' own package logger and registers its botocore user agent;
- `aws_lambda_powertools.event_handler` imports every resolver: AppSync (with asyncio), Bedrock, VPC
  Lattice, Lambda function URLs, the HTTP resolver;
- `aws_lambda_powertools.utilities.data_classes` imports every event class of every AWS service.

`defer_package_inits()` puts each in sys.modules as its package module, created from its spec (its
`__path__` set, so its submodules import as usual) without running its `__init__.py`. A lookup of a name
the package does not have yet is then resolved lazily:
- a name in PACKAGES' table (the names this function's imports take from the package) comes from the
  submodule that defines it;
- a submodule's name (what `from package import submodule` asks) imports that submodule;
- anything else runs the real `__init__.py` in place, and is looked up in it: whoever needs the rest
  gets the real package, only later.
The package init's two side effects (the package logger, the user agent) are done at once, as it does.

Hand-written for the same reason as the authorizer's oauth_authorizer/deferred_imports.py: the standard
library's `importlib.util.LazyLoader` runs a module on any attribute access, `__spec__` included, which
every import of a submodule reads. tests/api_handler/test_items_cold_start.py pins exactly which Powertools
modules a cold start runs and that none of these three inits ran, and tests/api_handler/test_items_lazy_
packages.py checks that PACKAGES' tables match each package's own source and that the rest still resolves.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import MappingProxyType, ModuleType
from typing import Final

# package -> {name: its submodule}: the names this function's imports (Powertools' own included) take from
# each package with `from package import name`.
PACKAGES: Final = MappingProxyType(
    {
        "aws_lambda_powertools": MappingProxyType({}),
        "aws_lambda_powertools.event_handler": MappingProxyType({}),
        "aws_lambda_powertools.utilities.data_classes": MappingProxyType(
            {
                "ALBEvent": "alb_event",
                "APIGatewayProxyEvent": "api_gateway_proxy_event",
                "APIGatewayProxyEventV2": "api_gateway_proxy_event",
                "BedrockAgentEvent": "bedrock_agent_event",
                "LambdaFunctionUrlEvent": "lambda_function_url_event",
                "VPCLatticeEvent": "vpc_lattice",
                "VPCLatticeEventV2": "vpc_lattice",
            }
        ),
    }
)

_LOCK = threading.RLock()


class _InitOnFirstUse(ModuleType):
    """A package whose `__init__.py` has not run; a missing attribute is resolved as the module says."""

    def __getattr__(self, attr: str) -> object:  # only called when the attribute is not there yet
        name = self.__name__
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        with _LOCK:
            if type(self) is _InitOnFirstUse:
                submodule = PACKAGES[name].get(attr)
                if submodule is not None:
                    return getattr(importlib.import_module(f"{name}.{submodule}"), attr)
                if importlib.util.find_spec(f"{name}.{attr}") is not None:
                    return importlib.import_module(f"{name}.{attr}")
                spec = self.__spec__
                if spec is None or spec.loader is None:  # pragma: no cover - _defer() gives it both
                    raise AttributeError(attr)
                self.__class__ = ModuleType  # type: ignore[assignment]  # from here on a plain package
                try:
                    spec.loader.exec_module(self)
                except BaseException:
                    sys.modules.pop(name, None)  # as a failed import does
                    raise
        return getattr(self, attr)


def _defer(name: str) -> bool:
    """Whether `name` was deferred (False: it was imported already, and is left as it is)."""
    if name in sys.modules:
        return False
    parent, _, child = name.rpartition(".")
    spec = importlib.util.find_spec(name)  # imports the parent packages (deferred ones stay deferred)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    module = importlib.util.module_from_spec(spec)  # __name__, __path__, __spec__, ...: no code run
    module.__class__ = _InitOnFirstUse
    sys.modules[name] = module
    if parent:
        setattr(sys.modules[parent], child, module)  # as the import system does for a submodule
    return True


def defer_package_inits() -> None:
    """Put PACKAGES in sys.modules without running their `__init__.py`, then do the top package's side
    effects as its init would (its package logger, its botocore user agent)."""
    with _LOCK:
        deferred = [_defer(name) for name in PACKAGES]
    if deferred[0]:  # else the real init has done both already
        from aws_lambda_powertools.package_logger import set_package_logger_handler  # noqa: PLC0415
        from aws_lambda_powertools.shared.user_agent import inject_user_agent  # noqa: PLC0415

        set_package_logger_handler()  # type: ignore[no-untyped-call]
        inject_user_agent()  # type: ignore[no-untyped-call]
