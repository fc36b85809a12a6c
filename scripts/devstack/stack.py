"""The whole local stack: issuer, DynamoDB Local, both functions in the Lambda RIE, and the API gateway.

Everything listens on 127.0.0.1, on free ports unless given. `local_stack()` starts it all and stops it all
(in reverse order) when the block ends, whatever ends it. The issuer runs as its own process (stop, start,
slow it: devstack.issuer_process); DynamoDB Local and the function runtimes are restarted when they die.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from revocations import revoke

from devstack.dynamodb_local import DynamoDBLocal, dynamodb_local
from devstack.functions import FunctionSpec, dynamic_reference_overrides, function_specs, load_stacks
from devstack.gateway import RieLambdaRunner, RunningGateway, start_gateway
from devstack.issuer import DEFAULT_AUDIENCE, SignInSettings
from devstack.issuer_process import IssuerProcess
from devstack.lambda_rie import RieFunction, check_runtime
from devstack.servers import RunningServer, start_wsgi
from devstack.spa import WEBAPP_CLIENT_ID, LateApp, SpaSettings, create_spa_app, load_webapp_module
from devstack.template import TEMPLATE_PATH, route_scopes
from token_revocation.entries import Kind, Revocation

AUTHORIZER_FUNCTION = "AuthorizerFunction"
API_FUNCTION = "ApiFunction"
TABLE_TYPE = "AWS::DynamoDB::Table"


@dataclass(frozen=True)
class StackOptions:
    port: int | None = None
    issuer_port: int | None = None
    ddb_port: int | None = None
    audience: str = DEFAULT_AUDIENCE
    # None: the template's default (AuthorizerCacheTtl); 0 turns the authorizer cache off.
    cache_ttl: int | None = None
    client_secrets: Mapping[str, str] = field(default_factory=dict)
    log_level: str | None = None
    # DynamoDB Local's data directory; None: in memory (a restart of DynamoDB Local loses every item).
    persist: Path | None = None
    # The template's DPoP parameter: off (its default), allowed or required. Not off selects the REQUEST
    # authorizer (the template refuses DPoP on a TOKEN one) and creates the replay table.
    dpop: str = "off"
    # The template's AuthorizerType; None: REQUEST with DPoP, else the template's default (TOKEN).
    authorizer_type: str | None = None
    # The development users' passwords (--user NAME=PASSWORD); the others are random per run.
    user_passwords: Mapping[str, str] = field(default_factory=dict)
    # An outside issuer (--issuer URL: Auth0, any OpenID provider) instead of the local one; then the SPA
    # signs in with spa_client_id, and listens on spa_port (a port registered at the provider) if given.
    issuer_url: str | None = None
    spa_client_id: str = "dev-spa"
    spa_port: int | None = None
    # The SAM template served (`--template`): ours, or another API nesting the authorizer application
    # (examples/http-api/template.yaml).
    template: Path = TEMPLATE_PATH
    # Further template parameters (as --parameter-overrides), e.g. the example's AuthorizerResponse.
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)


@dataclass
class LocalStack:
    issuer: IssuerProcess
    dynamodb: DynamoDBLocal
    table_name: str
    specs: dict[str, FunctionSpec]
    runner: RieLambdaRunner
    gateway: RunningGateway
    spa: RunningServer
    webapp: RunningServer
    template: Path = TEMPLATE_PATH

    @property
    def spa_url(self) -> str:
        return self.spa.url + "/"

    @property
    def webapp_url(self) -> str:
        return self.webapp.url + "/"

    @property
    def api_url(self) -> str:
        return self.gateway.url

    def revoke(self, kind: Kind, value: str, issuer: str | None = None) -> Revocation:
        """Store a revocation in DynamoDB Local's revocation table (`python -m devstack revoke`); the
        issuer defaults to the local one."""
        environment = self.specs[AUTHORIZER_FUNCTION].environment
        table = environment.get("REVOCATION_TABLE", "")
        if not table:
            raise LookupError("the stack runs without a revocation table (REVOCATION_TABLE is empty)")
        return revoke(
            self.dynamodb.client(),
            table,
            kind,
            issuer or self.issuer.config.issuer,
            value,
            max_token_lifetime=int(environment["MAX_TOKEN_LIFETIME_SECONDS"]),
        )

    def instructions(self) -> str:
        """The URLs, the development clients and ready-to-paste curl commands."""
        return usage(
            self.api_url,
            self.issuer,
            self.specs[AUTHORIZER_FUNCTION].environment.get("DPOP", "off"),
            self.spa_url,
            self.webapp_url,
            template=self.template,
        )


def stack_parameters(issuer: IssuerProcess, options: StackOptions) -> dict[str, str]:
    """The template parameters for the local stack (as `sam local start-api --parameter-overrides`)."""
    return template_parameters(issuer.config.issuer, issuer.config.audience, options)


def template_parameters(issuer_url: str, audience: str, options: StackOptions) -> dict[str, str]:
    """The template parameters for a stack trusting `issuer_url` for tokens of `audience`."""
    params = {
        "Issuer": issuer_url,
        "Audience": audience,
        # Left empty, as in most deployments: the authorizer discovers the JWKS from the issuer.
        "JwksUri": "",
    }
    if options.cache_ttl is not None:
        params["AuthorizerCacheTtl"] = str(options.cache_ttl)
    if options.log_level is not None:
        params["LogLevel"] = options.log_level
    if options.dpop != "off":
        params["DPoP"] = options.dpop
        params["AuthorizerType"] = "REQUEST"
    if options.authorizer_type is not None:
        params["AuthorizerType"] = options.authorizer_type
    params.update(options.parameter_overrides)
    return params


@contextmanager
def local_stack(options: StackOptions | None = None, log_sink: IO[str] | None = None) -> Iterator[LocalStack]:
    """Start the whole stack; stop all of it when the block ends."""
    options = options or StackOptions()
    with ExitStack() as cleanup:
        # The apps first: their URLs are the redirect URIs the issuer registers. They read their settings
        # at each request, filled in below once the API's URL is known.
        spa_settings = SpaSettings()
        spa = start_wsgi(create_spa_app(spa_settings), options.spa_port, "spa")
        cleanup.callback(spa.stop)
        webapp_holder = LateApp()
        webapp = start_wsgi(webapp_holder, None, "webapp")
        cleanup.callback(webapp.stop)
        issuer = IssuerProcess(
            options.issuer_port,
            options.audience,
            options.client_secrets,
            log_sink=log_sink,
            signin=SignInSettings(options.user_passwords, spa.url + "/", webapp.url),
        )
        cleanup.callback(issuer.close)
        issuer.start()
        backend = start_backend(cleanup, stack_parameters(issuer, options), options, log_sink)
        dynamodb, table_name, specs, runner, gateway = backend
        spa_settings.authority = issuer.config.issuer
        spa_settings.audience = issuer.config.audience
        spa_settings.api = gateway.url
        spa_settings.scopes = route_scopes(options.template.resolve())
        webapp_module = load_webapp_module()
        webapp_holder.app = webapp_module.create_webapp(
            webapp_module.WebAppSettings(
                issuer=issuer.config.issuer,
                client_id=WEBAPP_CLIENT_ID,
                client_secret=issuer.secrets[WEBAPP_CLIENT_ID],
                audience=issuer.config.audience,
                api=gateway.url,
                scopes=spa_settings.scopes,
            )
        )
        yield LocalStack(issuer, dynamodb, table_name, specs, runner, gateway, spa, webapp, options.template)


@dataclass
class OutsideIssuerStack:
    """The stack against an outside issuer: no local issuer, no web app (it needs that issuer's secret)."""

    issuer_url: str
    audience: str
    dynamodb: DynamoDBLocal
    table_name: str
    specs: dict[str, FunctionSpec]
    runner: RieLambdaRunner
    gateway: RunningGateway
    spa: RunningServer
    spa_client_id: str

    @property
    def api_url(self) -> str:
        return self.gateway.url

    @property
    def spa_url(self) -> str:
        return self.spa.url + "/"

    def instructions(self) -> str:
        api = self.api_url.rstrip("/")
        audience = shlex.quote(self.audience)
        register = f"callback and logout URL {self.spa_url}, web origin {self.spa.url}"
        login = f"login --issuer {self.issuer_url} --login-client-id NATIVE_CLIENT_ID"
        return "\n".join(
            [
                f"API        {self.api_url}",
                f"Issuer     {self.issuer_url}  (outside: its discovery, its keys, its tokens)",
                f"Audience   {self.audience}",
                "",
                f"Single-page app  {self.spa_url}  (client {self.spa_client_id})",
                f"  register at the provider: {register}",
                "Native app (a native client at the provider; callback http://127.0.0.1/callback, any port):",
                f"  .venv/bin/python examples/items_client.py --api {api} --audience {audience} {login}",
                "",
                "Press Ctrl-C to stop.",
            ]
        )


@contextmanager
def outside_issuer_stack(
    options: StackOptions, log_sink: IO[str] | None = None
) -> Iterator[OutsideIssuerStack]:
    """The stack trusting options.issuer_url (discovery, then its JWKS) for tokens of options.audience."""
    if options.issuer_url is None:
        raise ValueError("outside_issuer_stack needs options.issuer_url")
    with ExitStack() as cleanup:
        spa_settings = SpaSettings(
            authority=options.issuer_url, client_id=options.spa_client_id, audience=options.audience
        )
        spa = start_wsgi(create_spa_app(spa_settings), options.spa_port, "spa")
        cleanup.callback(spa.stop)
        parameters = template_parameters(options.issuer_url, options.audience, options)
        dynamodb, table_name, specs, runner, gateway = start_backend(cleanup, parameters, options, log_sink)
        spa_settings.api = gateway.url
        spa_settings.scopes = route_scopes(options.template.resolve())
        yield OutsideIssuerStack(
            options.issuer_url,
            options.audience,
            dynamodb,
            table_name,
            specs,
            runner,
            gateway,
            spa,
            options.spa_client_id,
        )


Backend = tuple[DynamoDBLocal, str, dict[str, FunctionSpec], RieLambdaRunner, RunningGateway]


def start_backend(
    cleanup: ExitStack, parameters: dict[str, str], options: StackOptions, log_sink: IO[str] | None
) -> Backend:
    """DynamoDB Local with the template's tables, both functions in the RIE, the gateway (stopped by
    `cleanup`): everything but the issuer."""
    dynamodb = cleanup.enter_context(
        dynamodb_local(options.ddb_port, options.persist, supervise=True, log_sink=log_sink)
    )

    template = options.template.resolve()
    stacks = load_stacks(parameters, template)
    # First resolve the template's own values, then point the functions at DynamoDB Local: every table
    # a function's environment names (SAM CLI resolves a table's Ref to its logical id) is created
    # there, and that function's DYNAMODB_ENDPOINT_URL points at it. For template.yaml: ItemsTable and
    # IdempotencyTable (ApiFunction), and with DPoP on the authorizer's DPoPReplayTable.
    template_specs = function_specs(stacks)
    tables = {
        logical_id
        for stack in stacks
        for logical_id, resource in (stack.template_dict.get("Resources") or {}).items()
        if resource.get("Type") == TABLE_TYPE
    }
    overrides = {name: dynamic_reference_overrides(spec.environment) for name, spec in template_specs.items()}
    used_tables: set[str] = set()
    for name, spec in template_specs.items():
        named = {value for value in spec.environment.values() if value in tables}
        if named:
            overrides[name]["DYNAMODB_ENDPOINT_URL"] = dynamodb.endpoint_url
            used_tables |= named
    specs = function_specs(stacks, overrides)
    for logical_id in sorted(used_tables):
        dynamodb.create_table(logical_id, logical_id, template)
    api_environment = template_specs[API_FUNCTION].environment if API_FUNCTION in template_specs else {}
    table_name = api_environment.get("TABLE_NAME", "")

    functions: dict[str, RieFunction] = {}
    for name, spec in specs.items():
        warning = check_runtime(spec)
        if warning and log_sink is not None:
            log_sink.write(f"warning: {warning}\n")
        function = RieFunction(spec) if log_sink is None else RieFunction(spec, log_sink=log_sink)
        functions[name] = function
        cleanup.callback(function.stop)
        function.start()

    runner = RieLambdaRunner(functions)
    gateway = start_gateway(stacks, runner, options.port)
    cleanup.callback(gateway.stop)
    return dynamodb, table_name, specs, runner, gateway


def _route_curl(method: str, path: str, base: str, items_api: bool = True) -> str:
    # The items API's ids come from its POST answer; another API's path parameters get a sample value.
    url = base.rstrip("/") + re.sub(r"\{[^}]+\}", "$ITEM_ID" if items_api else "example", path)
    auth = '-H "Authorization: Bearer $TOKEN"'
    if method == "POST":
        item = {"name": "first item", "description": "made with curl"} if items_api else {}
        body = shlex.quote(json.dumps(item))
        return f'curl -s -X POST {auth} -H "Content-Type: application/json" -d {body} "{url}"'
    flag = "" if method == "GET" else f"-X {method} "
    return f'curl -s {flag}{auth} "{url}"'


def usage(
    api_url: str,
    issuer: IssuerProcess,
    dpop: str = "off",
    spa_url: str | None = None,
    webapp_url: str | None = None,
    *,
    template: Path = TEMPLATE_PATH,
) -> str:
    """What `python -m devstack` prints once everything is up."""
    items_api = template.resolve() == TEMPLATE_PATH
    admin = issuer.config.clients["dev-admin"]
    extract = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])'"
    token = (
        f"TOKEN=$(curl -s -u {admin.client_id}:{admin.client_secret} -d grant_type=client_credentials "
        f'-d audience={shlex.quote(issuer.config.audience)} "{issuer.token_endpoint}" | {extract})'
    )
    routes = [route.split(" ", 1) for route in route_scopes(template.resolve())]
    order = {"POST": 0, "GET": 1, "DELETE": 2}
    routes.sort(key=lambda r: (r[1] != "/me", "{" in r[1], order.get(r[0], 3)))
    calls: list[str] = []
    for method, path in routes:
        calls.append(_route_curl(method, path, api_url, items_api))
        if method == "POST" and items_api:
            calls.append("ITEM_ID=...   # the id in the POST answer")
    client = (
        f".venv/bin/python examples/items_client.py --api {api_url.rstrip('/')} "
        f"--token-url {issuer.token_endpoint} --client-id {admin.client_id} "
        f"--client-secret {admin.client_secret} --audience {shlex.quote(issuer.config.audience)}"
    )
    clients = "\n".join(
        f"  {c.client_id:<12} {c.client_secret}  scopes: {' '.join(c.scopes) or '(none)'}"
        for c in issuer.config.clients.values()
    )
    return "\n".join(
        [
            f"API        {api_url}",
            f"Issuer     {issuer.config.issuer}  (discovery: .well-known/openid-configuration)",
            f"Token      {issuer.token_endpoint}  (client_credentials; audience {issuer.config.audience})",
            "",
            "Development clients (secrets are new each run unless passed with --client-secret):",
            clients,
            "",
            "Get a token, then call each route:",
            f"  {token}",
            *(f"  {call}" for call in calls),
            "",
            *(
                [
                    "Or with the example client (Authlib; it gets and renews the token itself):",
                    f"  {client} me",
                    f"  {client} create 'first item'",
                ]
                if items_api
                else []
            ),
            *(
                [
                    "",
                    f"DPoP is {dpop} (REQUEST authorizer, no authorizer cache): with --dpop the client binds",
                    "its token to a key of its own and sends a proof with every call (docs/dpop.md):",
                    f"  {client} --dpop me",
                ]
                if dpop != "off"
                else []
            ),
            # The sign-in apps (SPA, web app, native client) are the items API's clients.
            *(
                signin_lines(api_url, issuer, spa_url, webapp_url)
                if spa_url and webapp_url and items_api
                else []
            ),
            "",
            "Press Ctrl-C to stop.",
        ]
    )


def signin_lines(api_url: str, issuer: IssuerProcess, spa_url: str, webapp_url: str) -> list[str]:
    """The sign-in part of the printout: the apps' URLs and the users (docs/sign-in.md, "Users sign in")."""
    users = [
        f"  {user.name:<6} password {user.password}  permissions: {' '.join(user.permissions)}"
        for user in issuer.config.users.values()
    ]
    return [
        "",
        "Users sign in (passwords are new each run unless passed with --user NAME=PASSWORD):",
        *users,
        f"  Single-page app  {spa_url}  (client dev-spa: open it in a browser and sign in)",
        f"  Web app          {webapp_url}  (client dev-webapp, secret {issuer.secrets[WEBAPP_CLIENT_ID]};"
        f" redirect URI {webapp_url}callback)",
        "  Native app       .venv/bin/python examples/items_client.py"
        f" --api {api_url.rstrip('/')} --audience {shlex.quote(issuer.config.audience)}"
        f" login --issuer {issuer.config.issuer}",
        f"    then, as that user: .venv/bin/python examples/items_client.py --api {api_url.rstrip('/')} list",
    ]
