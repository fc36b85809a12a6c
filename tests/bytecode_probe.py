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
loaded = sum(
    1
    for module in list(sys.modules.values())
    if (getattr(module, "__file__", None) or "").startswith(code_dir + os.sep)
)
print(json.dumps({"compiled": sorted(compiled), "loaded": loaded}))
