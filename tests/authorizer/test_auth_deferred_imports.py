"""oauth_authorizer/deferred_imports.py: what it defers still works when used, and nothing else changes.

Each check of the real modules runs in a fresh interpreter: in this one, they were imported long ago.
"""

from __future__ import annotations

import ast
import datetime
import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from authorizer_harness import Issuer, Keys, mint
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from lambda_loader import fresh_interpreter_report
from oauth_authorizer.deferred_imports import BOUND_BY_NAME, BoundByName, defer, defer_bound_by_name

AUTHORIZER = Path(__file__).resolve().parents[2] / "authorizer"


def fresh(code: str, stdin: str = "") -> dict[str, object]:
    """Run `code` in a fresh interpreter with the authorizer's code root on sys.path; its last JSON line."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(AUTHORIZER)}
    return fresh_interpreter_report([sys.executable, "-c", code], env, stdin=stdin, timeout=60)


def self_signed_certificate() -> bytes:
    """A DER X.509 certificate (a form only cryptography.x509 reads)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "deferred-imports-test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


SSH = "cryptography.hazmat.primitives.serialization.ssh"


def test_importing_the_package_defers_its_modules_without_running_them() -> None:
    outcome = fresh(
        "import json, sys, oauth_authorizer.tokens\n"
        f"names = ('cryptography.x509', 'shutil', 'jwt.jwks_client', {SSH!r})\n"
        "print(json.dumps({name: type(sys.modules[name]).__name__ for name in names}))"
    )
    assert outcome == {
        "cryptography.x509": "_RunsOnFirstUse",
        "shutil": "_RunsOnFirstUse",
        "jwt.jwks_client": "_RunsOnFirstUse",
        SSH: "_RunsOnFirstUse",
    }


def source_files(package: str) -> dict[str, Path]:
    """Every module of an installed top-level package, by dotted name (without importing any)."""
    spec = importlib.util.find_spec(package)
    assert spec is not None
    assert spec.submodule_search_locations is not None
    root = Path(next(iter(spec.submodule_search_locations)))
    files = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def names_imported_from(name: str, path: Path, module: str) -> set[str]:
    """Every name that module `name` (source at `path`) imports from `module` by `from ... import`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{source}" if source else base
            if source == module:
                names.update(alias.name for alias in node.names)
    return names


LIBRARY_SOURCES = {**source_files("jwt"), **source_files("cryptography")}


@pytest.mark.parametrize("bound", BOUND_BY_NAME, ids=lambda bound: bound.module)
def test_each_importer_still_imports_exactly_the_deferred_names(bound: BoundByName) -> None:
    # A dependency upgrade that imports one more name would run the module at import (and the cold
    # start test would fail too); one name fewer would leave a placeholder nobody takes back.
    assert names_imported_from(bound.importer, LIBRARY_SOURCES[bound.importer], bound.module) == set(
        bound.names
    )


@pytest.mark.parametrize("bound", BOUND_BY_NAME, ids=lambda bound: bound.module)
def test_the_names_called_through_are_exactly_the_functions(bound: BoundByName) -> None:
    real = importlib.import_module(bound.module)  # long imported in this interpreter
    assert {name for name in bound.names if inspect.isfunction(getattr(real, name))} == bound.called


@pytest.mark.parametrize("bound", BOUND_BY_NAME, ids=lambda bound: bound.module)
def test_no_other_module_of_the_libraries_imports_names_from_a_deferred_module(bound: BoundByName) -> None:
    importers = {
        name for name, path in LIBRARY_SOURCES.items() if names_imported_from(name, path, bound.module)
    }
    assert importers == {bound.importer}


def test_pyjwk_client_is_the_real_class_and_fetches_on_first_use(issuer: Issuer, keys: Keys) -> None:
    # GIVEN the package imported (jwt.jwks_client deferred), WHEN PyJWKClient is first looked up and used
    outcome = fresh(
        "import json, sys, types, oauth_authorizer.tokens, jwt\n"
        "before = type(sys.modules['jwt.jwks_client']).__name__\n"
        "url, token = sys.stdin.read().split()\n"
        "key = jwt.PyJWKClient(url).get_signing_key_from_jwt(token)\n"
        "module = sys.modules['jwt.jwks_client']\n"
        "star = {}\n"
        "exec('from jwt import *', star)\n"
        "print(json.dumps({'before': before, 'kid': key.key_id,\n"
        "    'plain_module': type(module) is types.ModuleType,\n"
        "    'same_class': jwt.PyJWKClient is module.PyJWKClient is star['PyJWKClient'],\n"
        "    'attribute': jwt.jwks_client is module}))",
        stdin=f"{issuer.jwks_uri} {mint(keys.rsa, {'sub': 'x'})}",
    )
    # THEN the real module ran then, and PyJWT's name, attribute and `import *` are the real ones
    assert outcome == {
        "before": "_RunsOnFirstUse",
        "kid": "rsa-1",
        "plain_module": True,
        "same_class": True,
        "attribute": True,
    }


SSH_PUBLIC_KEY = (
    "import sys\n"
    "from cryptography.hazmat.primitives import serialization\n"
    "from cryptography.hazmat.primitives.asymmetric import rsa\n"
    "key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()\n"
    "sys.stdout.write(key.public_bytes(serialization.Encoding.OpenSSH,"
    " serialization.PublicFormat.OpenSSH).decode())\n"
)


def test_pyjwt_reads_an_ssh_public_key_through_the_deferred_ssh_module() -> None:
    ssh_key = subprocess.run(
        [sys.executable, "-c", SSH_PUBLIC_KEY], capture_output=True, text=True, check=True
    ).stdout
    # GIVEN the package imported (ssh deferred), WHEN PyJWT is given an `ssh-rsa` key (its one use of ssh)
    outcome = fresh(
        "import json, sys, types, oauth_authorizer.tokens\n"
        "from cryptography.hazmat.primitives import serialization\n"
        "from jwt.algorithms import RSAAlgorithm\n"
        f"before = type(sys.modules[{SSH!r}]).__name__\n"
        "key = RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(sys.stdin.read())\n"
        f"ssh = sys.modules[{SSH!r}]\n"
        "print(json.dumps({'before': before, 'key': type(key).__name__, 'bits': key.key_size,\n"
        "    'plain_module': type(ssh) is types.ModuleType, 'attribute': serialization.ssh is ssh,\n"
        "    'same_function': serialization.load_ssh_public_key is ssh.load_ssh_public_key,\n"
        "    'same_class': serialization.SSHCertificate is ssh.SSHCertificate}))",
        stdin=ssh_key,
    )
    # THEN the ssh module ran then, and serialization's names are its real ones
    assert outcome == {
        "before": "_RunsOnFirstUse",
        "key": "RSAPublicKey",
        "bits": 2048,
        "plain_module": True,
        "attribute": True,
        "same_function": True,
        "same_class": True,
    }


def test_every_name_of_serialization_is_the_real_one_when_a_deferred_class_is_used_first() -> None:
    outcome = fresh(
        "import json, sys, oauth_authorizer.tokens\n"
        "from cryptography.hazmat.primitives import serialization\n"
        "user = serialization.SSHCertificateType.USER.value\n"
        "star = {}\n"
        "exec('from cryptography.hazmat.primitives.serialization import *', star)\n"
        f"ssh = sys.modules[{SSH!r}]\n"
        "wrong = sorted(name for name in serialization.__all__ if hasattr(ssh, name)\n"
        "    and not getattr(serialization, name) is star[name] is getattr(ssh, name))\n"
        "print(json.dumps({'user': user, 'wrong': wrong, 'run': type(ssh).__name__}))"
    )
    assert outcome == {"user": 1, "wrong": [], "run": "module"}


def test_a_deferred_x509_runs_on_first_use_where_pyjwt_uses_it() -> None:
    # GIVEN a DER certificate: PyJWT's HMAC key check reads it with x509 (its one use of the module)
    der = self_signed_certificate()
    # WHEN, after the package deferred x509, PyJWT is asked to use the certificate as an HMAC secret
    outcome = fresh(
        "import json, sys, types, oauth_authorizer.tokens\n"
        "from jwt.algorithms import HMACAlgorithm\n"
        "from jwt.exceptions import InvalidKeyError\n"
        "try:\n"
        "    HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(bytes.fromhex(sys.stdin.read()))\n"
        "except InvalidKeyError as exc:\n"
        "    refused = str(exc)\n"
        "module = sys.modules['cryptography.x509']\n"
        "print(json.dumps({'refused': refused, 'plain_module': type(module) is types.ModuleType,\n"
        "    'same_object': module is sys.modules['cryptography'].x509}))",
        stdin=der.hex(),
    )
    # THEN x509 ran in place (one module object, a plain module now) and recognised the certificate
    assert outcome == {
        "refused": (
            "The specified key is an asymmetric key or x509 certificate and"
            " should not be used as an HMAC secret."
        ),
        "plain_module": True,
        "same_object": True,
    }


def test_a_deferred_shutil_runs_on_first_use() -> None:
    outcome = fresh(
        "import json, os, sys, tempfile, types, oauth_authorizer\n"
        "with tempfile.TemporaryDirectory() as directory:\n"
        "    open(os.path.join(directory, 'file'), 'w').close()\n"
        "import shutil\n"
        "print(json.dumps({'removed': not os.path.exists(directory), 'sh': bool(shutil.which('sh')),\n"
        "    'plain_module': type(sys.modules['shutil']) is types.ModuleType}))"
    )
    assert outcome == {"removed": True, "sh": True, "plain_module": True}


def test_modules_imported_before_the_package_are_left_as_they_are() -> None:
    outcome = fresh(
        "import json, sys, jwt, types\n"
        "import cryptography.hazmat.primitives.serialization as serialization\n"
        "before = (sys.modules['jwt.jwks_client'], jwt.PyJWKClient, serialization.SSHCertificate)\n"
        "import oauth_authorizer\n"
        f"after = (sys.modules['jwt.jwks_client'], jwt.PyJWKClient, serialization.SSHCertificate)\n"
        "print(json.dumps({'same': before == after, 'plain': [type(sys.modules[n]) is types.ModuleType\n"
        f"    for n in ('jwt.jwks_client', {SSH!r})]}}))"
    )
    assert outcome == {"same": True, "plain": [True, True]}


def test_a_module_imported_before_the_package_is_left_as_it_is() -> None:
    outcome = fresh(
        "import json, shutil, sys\n"
        "before = sys.modules['shutil']\n"
        "import oauth_authorizer\n"
        "from oauth_authorizer.deferred_imports import defer\n"
        "print(json.dumps({'same': sys.modules['shutil'] is before is defer('shutil'),\n"
        "    'type': type(before).__name__}))"
    )
    assert outcome == {"same": True, "type": "module"}


def test_a_deferred_module_that_fails_to_run_leaves_sys_modules_as_a_failed_import_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a deferred module whose code raises
    (tmp_path / "deferred_boom.py").write_text("raise RuntimeError('boom')\nvalue = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = defer("deferred_boom")
    assert sys.modules["deferred_boom"] is module
    # WHEN it is first used, THEN its error surfaces and it is no longer in sys.modules
    with pytest.raises(RuntimeError, match="boom"):
        _ = module.value
    assert "deferred_boom" not in sys.modules


def test_a_deferred_module_runs_once_and_then_is_a_plain_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "deferred_counted.py").write_text("value = 41 + 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = defer("deferred_counted")
    assert "value" not in vars(module)  # created, not run
    assert (module.value, module.value, type(module)) == (42, 42, ModuleType)
    del sys.modules["deferred_counted"]


def bound_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, importer_code: str) -> BoundByName:
    """A module `bound_heavy` with a class and a function, and `bound_importer` that imports both by name."""
    (tmp_path / "bound_heavy.py").write_text(
        "RUNS = []\nRUNS.append(1)\n\nclass Thing:\n    pass\n\ndef helper(x):\n    return (x, len(RUNS))\n",
        encoding="utf-8",
    )
    (tmp_path / "bound_importer.py").write_text(
        f"from bound_heavy import Thing, helper\n{importer_code}", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("bound_heavy", "bound_importer"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return BoundByName("bound_heavy", "bound_importer", ("Thing", "helper"), frozenset({"helper"}))


def test_a_name_bound_by_name_is_called_through_and_a_class_looked_up_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an importer of a class and a function, run with the module deferred
    bound = bound_modules(tmp_path, monkeypatch, "")
    defer_bound_by_name(bound)
    importer = sys.modules["bound_importer"]
    assert type(sys.modules["bound_heavy"]).__name__ == "_RunsOnFirstUse"
    assert "Thing" not in vars(importer)
    # WHEN the function is called through the importer, THEN the module runs (once), and after it the
    # importer's names are the real function and class
    assert importer.helper("a") == ("a", 1)
    heavy = sys.modules["bound_heavy"]
    assert type(heavy) is ModuleType
    assert (importer.helper, importer.Thing) == (heavy.helper, heavy.Thing)
    assert importer.helper("b") == ("b", 1)
    with pytest.raises(AttributeError, match="module 'bound_importer' has no attribute 'other'"):
        _ = importer.other


@pytest.mark.parametrize(
    ("use", "error"),
    [
        ("isinstance(1, Thing)", RuntimeError),
        ("class Sub(Thing):\n    pass\n", RuntimeError),
        ("Thing.attribute", RuntimeError),
    ],
    ids=["isinstance", "subclass", "attribute"],
)
def test_an_importer_that_uses_a_deferred_class_while_it_runs_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use: str, error: type[Exception]
) -> None:
    bound = bound_modules(tmp_path, monkeypatch, use)
    with pytest.raises(error):
        defer_bound_by_name(bound)
