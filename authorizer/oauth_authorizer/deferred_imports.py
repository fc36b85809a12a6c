"""Modules that PyJWT's package init imports and no decision of this authorizer uses: run on first use.

`import jwt` runs jwt/__init__.py, which imports all of PyJWT: `jwt.algorithms` binds `cryptography.x509`
(used only to refuse a certificate as an HMAC secret, and HMAC is never allowed here), and
`jwt.jwks_client` imports `urllib.request` (PyJWKClient, unused: keys.py fetches with http.client),
whose `tempfile` binds `shutil` (which imports lzma and bz2) for TemporaryDirectory's cleanup.
urllib.request itself cannot wait: jwks_client subclasses its HTTPRedirectHandler at import. The two
deferred here were about a fifth of the authorizer's import (README, "Performance").

Each is put in sys.modules as a module whose code runs on the first lookup of an attribute it does not
have yet: `import shutil as _shutil` and `from cryptography import x509` bind it without running it,
and `x509.load_der_x509_certificate(...)` runs the real module in place, so whoever does use it (a
test, another library) gets the real module, only later. Hand-written because the standard library's
`importlib.util.LazyLoader` runs the module on any attribute access, `__spec__` included, which every
`import a.b` of an already imported module reads.

Robust to upgrades by test, not by hope: tests/authorizer/test_auth_cold_start.py pins exactly which
modules of PyJWT and cryptography a cold start and its first decision run (a release that uses one of
these at import time runs it, and that test fails), and tests/authorizer/test_auth_deferred_imports.py
checks that each deferred module works when used, and that one already imported is left alone.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from types import ModuleType

DEFERRED = ("cryptography.x509", "shutil")


_LOCK = threading.RLock()
_RUNNING: set[str] = set()  # deferred modules whose code is running now


class _RunsOnFirstUse(ModuleType):
    """A module created from its spec but not yet run; a missing attribute runs it, then is looked up.

    One thread runs it while others wait (the lock); a lookup from the module's own code while it runs
    fails like one on a partially initialized module; a failure takes it out of sys.modules, as a failed
    import does.
    """

    def __getattr__(self, attr: str) -> object:  # only called when the attribute is not there yet
        name = self.__name__
        with _LOCK:
            if isinstance(self, _RunsOnFirstUse) and name not in _RUNNING:
                spec = self.__spec__
                if spec is None or spec.loader is None:  # pragma: no cover - defer() gives it both
                    raise AttributeError(attr)
                _RUNNING.add(name)
                try:
                    spec.loader.exec_module(self)
                except BaseException:
                    sys.modules.pop(name, None)
                    raise
                finally:
                    _RUNNING.discard(name)
                self.__class__ = ModuleType  # type: ignore[assignment]
        if self.__class__ is not ModuleType:  # still running: a lookup from its own code
            raise AttributeError(f"partially initialized module {name!r} has no attribute {attr!r}")
        return getattr(self, attr)


def defer(name: str) -> ModuleType:
    """`name` in sys.modules as a module that runs on first use (the module itself if already imported)."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec(name)  # imports the parent package, which is imported anyway
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    module = importlib.util.module_from_spec(spec)  # __name__, __spec__, __file__, ...: no code run
    module.__class__ = _RunsOnFirstUse
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)  # what `from parent import child` reads
    return module


def defer_unused() -> None:
    for name in DEFERRED:
        defer(name)
