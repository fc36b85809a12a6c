"""Load a function's app.py in-process as a fresh cold start.

Both functions deploy an `app.py` at the root of their code, so a plain `import app` would hand every
test the same module; each load gets a unique module name instead.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

_load_ids = itertools.count()


def load_lambda_app(app_path: Path, prefix: str) -> ModuleType:
    """Execute `app_path` afresh (module-level code = the cold start) under a new module name."""
    name = f"{prefix}_{next(_load_ids)}"
    spec = importlib.util.spec_from_file_location(name, app_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {app_path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import would: dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module
