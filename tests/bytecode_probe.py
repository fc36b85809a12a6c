"""Run in a fresh interpreter: import app.py from CODE_DIR as Lambda would; report which sources compiled.

    python bytecode_probe.py CODE_DIR   (the environment is the function's)

An audit hook sees every `compile` (the import system compiles a module's source when it has no usable
.pyc); the last stdout line is {"compiled": [paths under CODE_DIR], "loaded": modules loaded from there}.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import types

code_dir = os.path.realpath(sys.argv[1])
compiled: list[str] = []


def audit(event: str, args: tuple[object, ...]) -> None:
    if event == "compile" and len(args) > 1 and isinstance(args[1], str):
        path = os.path.realpath(args[1]) if os.path.isabs(args[1]) else args[1]
        if path.startswith(code_dir + os.sep):
            compiled.append(os.path.relpath(path, code_dir))


sys.addaudithook(audit)
sys.path.insert(0, code_dir)  # the function's code root, as on Lambda
importlib.import_module("app")


def ran_from_code_dir(module: object) -> bool:
    """A module whose source ran from CODE_DIR: a module left unrun (items_api/lazy_packages.py,
    oauth_authorizer/deferred_imports.py) and an extension module have nothing to compile."""
    path = getattr(module, "__file__", None) or ""
    return type(module) is types.ModuleType and path.startswith(code_dir + os.sep) and path.endswith(".py")


loaded = sum(1 for module in list(sys.modules.values()) if ran_from_code_dir(module))
print(json.dumps({"compiled": sorted(compiled), "loaded": loaded}))
