"""Modules that PyJWT's package init imports and no decision of this authorizer uses: run on first use.

`import jwt` runs jwt/__init__.py, which imports all of PyJWT, and through it parts of cryptography
that verifying a JWS with a JWK never touches:
- `jwt.algorithms` binds `cryptography.x509` (used only to refuse a certificate as an HMAC secret, and
  HMAC is never allowed here);
- `tempfile` (imported by urllib.request) binds `shutil` (which imports lzma and bz2) for
  TemporaryDirectory's cleanup;
- jwt/__init__.py binds `PyJWKClient` from `jwt.jwks_client` (unused: keys.py fetches with
  http.client), which imports `urllib.request`;
- `cryptography.hazmat.primitives.serialization` binds eleven names from its `ssh` module (SSH key
  and certificate formats, which import the cipher modules and try bcrypt); `jwt.algorithms` binds
  one of them, `load_ssh_public_key`, which it calls only for a key given as an `ssh-` string.
Together these were about a third of what `import jwt` runs (docs/performance.md, "Performance").

Each deferred module is put in sys.modules as a module whose code runs on the first lookup of an
attribute it does not have yet: `import shutil as _shutil` and `from cryptography import x509` bind
it without running it, and `x509.load_der_x509_certificate(...)` runs the real module in place, so
whoever does use it (a test, another library) gets the real module, only later. Hand-written because
the standard library's `importlib.util.LazyLoader` runs the module on any attribute access, `__spec__`
included, which every `import a.b` of an already imported module reads.

A name bound with `from module import name` is looked up at once, so for the last two (BOUND_BY_NAME)
the one module that imports them is run here, while the stand-in hands it a placeholder per name:
- a name that is called (a function) gets a function that runs the real module on its first call and
  calls through; the importer's own binding is replaced by the real function once the module has run;
- any other name (a class, a type alias) is taken out of the importer again and looked up on first
  access through the importer's module `__getattr__` (PEP 562), which runs the real module. Until then
  the placeholder refuses any use (`isinstance`, subclassing, attributes raise), so an importer that
  started using the name while it is imported would fail loudly, not go wrong quietly.

Robust to upgrades by test, not by hope: tests/authorizer/test_auth_cold_start.py pins exactly which
modules of PyJWT and cryptography a cold start and its first decision run (a release that uses one of
these at import time runs it, and that test fails), and tests/authorizer/test_auth_deferred_imports.py
checks that each importer still binds exactly BOUND_BY_NAME's names (read from its source), that each
deferred module and name works when used, and that one already imported is left alone.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple

DEFERRED = ("cryptography.x509", "shutil")


class BoundByName(NamedTuple):
    """A deferred module that one other module (the importer) imports names from: `from module import`."""

    module: str
    importer: str
    names: tuple[str, ...]
    called: frozenset[str]  # the names that are functions: called through, not looked up


_SSH_FUNCTIONS = (
    "load_ssh_private_key",
    "load_ssh_public_identity",
    "load_ssh_public_key",
    "ssh_key_fingerprint",
)
# In this order: serialization is imported by jwt (jwt.algorithms), so it is done first.
BOUND_BY_NAME = (
    BoundByName(
        "cryptography.hazmat.primitives.serialization.ssh",
        "cryptography.hazmat.primitives.serialization",
        (
            "SSHCertificate",
            "SSHCertificateBuilder",
            "SSHCertificateType",
            "SSHCertPrivateKeyTypes",
            "SSHCertPublicKeyTypes",
            "SSHPrivateKeyTypes",
            "SSHPublicKeyTypes",
            *_SSH_FUNCTIONS,
        ),
        frozenset(_SSH_FUNCTIONS),
    ),
    BoundByName("jwt.jwks_client", "jwt", ("PyJWKClient",), frozenset()),
)


_LOCK = threading.RLock()
_RUNNING: set[str] = set()  # deferred modules whose code is running now


class _HandingOut(NamedTuple):
    """While a BoundByName importer runs: the placeholders it is given, and the namespace it binds them in."""

    bound: BoundByName
    placeholders: dict[str, object]
    importers: list[ModuleType]


_HANDING_OUT: dict[str, _HandingOut] = {}  # by deferred module
_AFTER_RUN: dict[str, Callable[[ModuleType], None]] = {}  # by deferred module: rebinds its importer


class _RunsOnFirstUse(ModuleType):
    """A module created from its spec but not yet run; a missing attribute runs it, then is looked up.

    One thread runs it while others wait (the lock); a lookup from the module's own code while it runs
    fails like one on a partially initialized module; a failure takes it out of sys.modules, as a failed
    import does. While its BoundByName importer runs, the names it binds are placeholders instead.
    """

    def __getattr__(self, attr: str) -> object:  # only called when the attribute is not there yet
        name = self.__name__
        spec = self.__spec__
        if attr == "__path__" and spec is not None and spec.submodule_search_locations is None:
            # What `from module import name` asks first (is it a package?): a plain module never has one.
            raise AttributeError(f"module {name!r} has no attribute '__path__'")
        handing_out = _HANDING_OUT.get(name)
        if handing_out is not None and attr in handing_out.placeholders:
            # The importer's own module: sys.modules may hold a wrapper of it once it has run.
            importer = sys.modules[handing_out.bound.importer]
            if importer not in handing_out.importers:
                handing_out.importers.append(importer)
            return handing_out.placeholders[attr]
        with _LOCK:
            if isinstance(self, _RunsOnFirstUse) and name not in _RUNNING:
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
                after_run = _AFTER_RUN.pop(name, None)
                if after_run is not None:
                    after_run(self)
        if self.__class__ is not ModuleType:  # still running: a lookup from its own code
            raise AttributeError(f"partially initialized module {name!r} has no attribute {attr!r}")
        return getattr(self, attr)


class _Unbound:
    """What the importer holds for a deferred class or type alias while it runs: any use fails loudly."""

    __slots__ = ("_where",)

    def __init__(self, where: str) -> None:
        object.__setattr__(self, "_where", where)

    def __getattr__(self, attr: str) -> Any:  # isinstance, subclassing, hasattr, ... all end here
        raise RuntimeError(f"{self._where} was used while deferred (oauth_authorizer/deferred_imports.py)")

    def __repr__(self) -> str:
        return f"<deferred {self._where}>"


def _calls_through(module: str, name: str) -> Callable[..., Any]:
    """A function that runs `module` on its first call and calls its `name` with the same arguments."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__module__ = module
    call.__doc__ = (
        f"{module}.{name}, whose module runs on the first call (oauth_authorizer/deferred_imports.py)."
    )
    return call


def defer(name: str, *, parent_runs_later: bool = False) -> ModuleType:
    """`name` in sys.modules as a module that runs on first use (the module itself if already imported).

    The parent package is imported first, unless `parent_runs_later`: then it is not run, and the caller
    sets the child attribute once it has.
    """
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    parent, _, child = name.rpartition(".")
    if parent and parent_runs_later:  # its spec from the parent's location: find_spec(name) runs the parent
        parent_spec = importlib.util.find_spec(parent)  # runs the grandparent only
        locations = None if parent_spec is None else parent_spec.submodule_search_locations
        spec = None if locations is None else importlib.machinery.PathFinder.find_spec(name, list(locations))
    else:
        spec = importlib.util.find_spec(name)  # imports the parent package, which is imported anyway
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    module = importlib.util.module_from_spec(spec)  # __name__, __spec__, __file__, ...: no code run
    module.__class__ = _RunsOnFirstUse
    sys.modules[name] = module
    if parent and not parent_runs_later:
        setattr(sys.modules[parent], child, module)  # what `from parent import child` reads
    return module


def defer_bound_by_name(bound: BoundByName) -> None:
    """Defers `bound.module`, and runs `bound.importer` with placeholders for the names it binds from it.

    Nothing is done when either is imported already: both are then left as they are.
    """
    if bound.module in sys.modules or bound.importer in sys.modules:
        return
    stand_in = defer(bound.module, parent_runs_later=True)
    placeholders: dict[str, object] = {
        name: _calls_through(bound.module, name)
        if name in bound.called
        else _Unbound(f"{bound.module}.{name}")
        for name in bound.names
    }
    handing_out = _HandingOut(bound, placeholders, [])
    _HANDING_OUT[bound.module] = handing_out
    try:
        importlib.import_module(bound.importer)
    finally:
        del _HANDING_OUT[bound.module]
    parent, _, child = bound.module.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, stand_in)  # as the import system does when it runs a submodule
    for importer in handing_out.importers:  # one: the importer's module
        namespace = vars(importer)
        _look_up_on_first_use(namespace, bound, placeholders)
        _AFTER_RUN[bound.module] = functools.partial(_rebind, namespace, bound, placeholders)


def _look_up_on_first_use(
    namespace: dict[str, Any], bound: BoundByName, placeholders: dict[str, object]
) -> None:
    """The called names' placeholders stay bound; the others leave, and are looked up on first access."""
    taken = {
        name for name in bound.names if name not in bound.called and namespace.get(name) is placeholders[name]
    }
    for name in taken:
        del namespace[name]
    previous: Callable[[str], object] | None = namespace.get("__getattr__")

    def __getattr__(attr: str) -> object:  # PEP 562: only for what the module does not have
        if attr not in taken:
            if previous is not None:
                return previous(attr)
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {attr!r}")
        value = getattr(importlib.import_module(bound.module), attr)  # runs the real module
        namespace[attr] = value
        return value

    namespace["__getattr__"] = __getattr__


def _rebind(
    namespace: dict[str, Any], bound: BoundByName, placeholders: dict[str, object], real: ModuleType
) -> None:
    """Once the deferred module has run, the importer's own called names are the real functions."""
    importer = vars(sys.modules.get(bound.importer, ModuleType(bound.importer)))  # a wrapper caches lookups
    for name in bound.called:
        for where in (namespace, importer):
            if where.get(name) is placeholders[name]:
                where[name] = getattr(real, name)


def defer_unused() -> None:
    for name in DEFERRED:
        defer(name)
    for bound in BOUND_BY_NAME:
        defer_bound_by_name(bound)
