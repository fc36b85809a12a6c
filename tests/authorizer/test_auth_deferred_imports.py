"""oauth_authorizer/deferred_imports.py: what it defers still works when used, and nothing else changes.

Each check runs in a fresh interpreter: in this one, the modules were imported long ago.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from oauth_authorizer.deferred_imports import defer

AUTHORIZER = Path(__file__).resolve().parents[2] / "authorizer"


def fresh(code: str, stdin: str = "") -> dict[str, object]:
    """Run `code` in a fresh interpreter with the authorizer's code root on sys.path; its last JSON line."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(AUTHORIZER)}
    process = subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    result: dict[str, object] = json.loads(process.stdout.strip().splitlines()[-1])
    return result


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


def test_importing_the_package_defers_x509_and_shutil_without_running_them() -> None:
    outcome = fresh(
        "import json, sys, oauth_authorizer.tokens\n"
        "names = ('cryptography.x509', 'shutil')\n"
        "print(json.dumps({name: type(sys.modules[name]).__name__ for name in names}))"
    )
    assert outcome == {"cryptography.x509": "_RunsOnFirstUse", "shutil": "_RunsOnFirstUse"}


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
