"""Serves examples/spa/ (the single-page app) with no build step, on its own 127.0.0.1 origin; and
examples/webapp/ (the regular web app) on another.

  GET /                              examples/spa/index.html (also the OAuth redirect and post-logout URI)
  GET /app.js                        examples/spa/app.js
  GET /vendor/oidc-client-ts.js      oidc-client-ts's browser bundle, from scripts/node_modules (npm ci)
  GET /config.json                   the page's settings: issuer, client id, audience, API URL, route scopes

The settings are read at each request from a `SpaSettings` the stack fills in once everything has started
(the API's URL is known last). The same page works against an Auth0 tenant with another config.json.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify, send_file

from devstack.template import ROOT

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SPA_DIR = ROOT / "examples" / "spa"
OIDC_CLIENT_BUNDLE = ROOT / "scripts/node_modules/oidc-client-ts/dist/browser/oidc-client-ts.js"
SPA_CLIENT_ID = "dev-spa"
WEBAPP_PATH = ROOT / "examples" / "webapp" / "webapp.py"
WEBAPP_CLIENT_ID = "dev-webapp"


@dataclass
class SpaSettings:
    """config.json: what examples/spa/app.js needs to sign users in and call the API."""

    authority: str = ""
    client_id: str = SPA_CLIENT_ID
    audience: str = ""
    api: str = ""
    scopes: dict[str, list[str]] = field(default_factory=dict)


def create_spa_app(
    settings: SpaSettings, spa_dir: Path = SPA_DIR, bundle: Path = OIDC_CLIENT_BUNDLE
) -> Flask:
    if not bundle.is_file():
        raise RuntimeError(f"{bundle} is missing: run `make setup` (npm ci installs oidc-client-ts)")
    app = Flask("devstack.spa")

    def no_cache(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get("/")
    def index() -> Response:
        return no_cache(send_file(spa_dir / "index.html", mimetype="text/html"))

    @app.get("/app.js")
    def script() -> Response:
        return no_cache(send_file(spa_dir / "app.js", mimetype="text/javascript"))

    @app.get("/vendor/oidc-client-ts.js")
    def library() -> Response:
        return no_cache(send_file(bundle, mimetype="text/javascript"))

    @app.get("/config.json")
    def config() -> Response:
        return no_cache(jsonify(asdict(settings)))

    return app


class LateApp:
    """A WSGI app whose real app is set once its settings are known (503 until then): a server can be
    bound first, so that its URL can be registered with the issuer that the real app then talks to."""

    def __init__(self) -> None:
        self.app: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "1")])
            return [b"starting\n"]
        return self.app(environ, start_response)


def load_webapp_module() -> ModuleType:
    """examples/webapp/webapp.py (an example, not a package on sys.path), loaded by its path."""
    spec = importlib.util.spec_from_file_location("items_webapp", WEBAPP_PATH)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {WEBAPP_PATH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module
