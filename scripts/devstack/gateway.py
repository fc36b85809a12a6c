"""SAM CLI's API Gateway emulator, built from the template, backed by the Lambda RIE, corrected to match AWS.

`sam local start-api` builds `LocalApigwService` from the template with SAM CLI's providers and invokes the
functions in Docker. Here the same service, built the same way, invokes them through `RieLambdaRunner`
(the Lambda RIE processes of lambda_rie.py). Relies on aws-sam-cli 1.170.0 (pinned in
requirements-dev.txt): the overridden methods below are internal to `LocalApigwService`.

Where the emulator differs from API Gateway, `CorrectedApigwService` corrects it (each override says why):
  * an authorizer that fails with the error message "Unauthorized" gives 401 (the emulator says 502);
  * a Deny gives 403, including an explicit Deny statement overriding an Allow (the emulator ignores Deny);
  * the authorizer's answer is cached per identity-source value (the token) for the authorizer's
    ReauthorizeEvery TTL (0 = no caching), and every request is evaluated against the cached policy: a policy
    that only covers the first route fails on the next one, locally exactly as in AWS;
  * the template's GatewayResponses (UNAUTHORIZED, ACCESS_DENIED, DEFAULT_4XX/5XX, with their headers)
    shape those answers, where the emulator returns its own fixed bodies; every other 5xx of the emulator
    itself (a function that failed or died mid-invocation) gets DEFAULT_5XX's headers and body, while the
    function's own answers pass through unchanged, as in API Gateway;
  * the authorizer's context reaches the function with its values as strings, as API Gateway (REST)
    coerces them (the emulator passes numbers and booleans through unchanged);
  * an unknown route or method, HEAD included, is API Gateway's MISSING_AUTHENTICATION_TOKEN response as
    the template defines it (the emulator answers a bare 403, and HEAD on a GET route with a 502);
  * a body that is not UTF-8 reaches the function base64-encoded, so the function answers it (the
    emulator fails with a 502 before invoking anything);
  * an event larger than Lambda's 6 MB invocation limit is a 413, as Lambda refuses it (the RIE fails);
  * REST events carry `requestContext.path` as the client sent it (the emulator puts the resource template
    there, /items/{id}) and `requestContext.identity.clientCert` null (no mutual TLS locally), which DPoP's
    `htu` and certificate binding read; `requestContext.domainName` is the request's Host (127.0.0.1:PORT);
  * a REQUEST authorizer's event is API Gateway's: without the body (the emulator sends the whole route
    event), and its cache key is the identity sources' values (the emulator gives none for REST, so every
    caller would share one cached answer); with DPoP on, the template's TTL is 0: never cached.

HTTP APIs (AWS::Serverless::HttpApi, payload format 2.0; AWS's "Working with AWS Lambda authorizers for HTTP
APIs") differ from the emulator too, and are corrected the same way (`HTTP_API_RESPONSES`):
  * 401/403: an authorizer failing with "Unauthorized" is 401 (the emulator: 502); `isAuthorized: false`, a
    policy without a matching Allow, or an explicit Deny is 403 {"message":"Forbidden"} (the emulator: 403
    with REST's "User is not authorized ..." body, and it ignores Deny); a missing identity source is 401;
    any other authorizer failure 500.
    HTTP APIs have no gateway responses: these bodies are fixed, and an unknown route is 404
    {"message":"Not Found"} (the emulator: 403 "Missing Authentication Token");
  * `$context.authorizer`: the context reaches the function as `requestContext.authorizer.lambda`, its values
    as the authorizer returned them (no string coercion; the emulator adds principalId there, AWS does not);
  * caching by identity source: the answer is cached per identity-source values for ReauthorizeEvery
    (`authorizerResultTtlInSeconds`; 0 when the template sets none), for every route of the API; a cached
    policy is evaluated against each route, a cached simple response applies to every route (which is why
    the example sets the TTL to 0 with simple responses); the emulator never caches;
  * simple responses: `isAuthorized` must be a boolean, else 500 (the authorizer's answer is invalid).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from flask import Response, request
from samcli.lib.intrinsic_resolver.intrinsic_property_resolver import IntrinsicResolver
from samcli.lib.intrinsic_resolver.intrinsics_symbol_table import IntrinsicsSymbolTable
from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.provider import Api, Stack
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.utils.stream_writer import StreamWriter
from samcli.local.apigw.authorizers.lambda_authorizer import LambdaAuthorizer
from samcli.local.apigw.event_constructor import construct_v1_event
from samcli.local.apigw.local_apigw_service import LocalApigwService
from samcli.local.apigw.route import Route
from samcli.local.lambdafn.exceptions import FunctionNotFound
from werkzeug.exceptions import HTTPException

from devstack.functions import samcli_template_processing
from devstack.lambda_rie import RieFunction, is_error_payload
from devstack.ports import LOOPBACK, free_port
from devstack.servers import RunningServer, start_wsgi
from devstack.template import ROOT

os.environ["SAM_CLI_TELEMETRY"] = "0"

LOG = logging.getLogger("devstack.gateway")
INVOKE_ACTION = "execute-api:Invoke"
# API Gateway's default for an authorizer without ReauthorizeEvery (AuthorizerResultTtlInSeconds).
DEFAULT_AUTHORIZER_TTL = 300
# An HTTP API authorizer without ReauthorizeEvery: caching off (AuthorizerResultTtlInSeconds unset).
DEFAULT_HTTP_AUTHORIZER_TTL = 0
API_TYPES = {
    "AWS::Serverless::Api": DEFAULT_AUTHORIZER_TTL,
    "AWS::Serverless::HttpApi": DEFAULT_HTTP_AUTHORIZER_TTL,
}
# Lambda's synchronous invocation payload limit (RequestEntityTooLargeException above it).
MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024


# --- the lambda runner ------------------------------------------------------------------------------------


class LambdaRunner(Protocol):
    """What the gateway needs of a lambda runner: SAM CLI's LocalLambdaRunner interface, plus raw invokes."""

    def invoke_raw(self, function_name: str, event: bytes) -> bytes: ...

    def invoke(
        self,
        function_identifier: str,
        event: str,
        stdout: StreamWriter | None = None,
        stderr: StreamWriter | None = None,
        tenant_id: str | None = None,
        **_kwargs: object,
    ) -> None: ...

    def is_debugging(self) -> bool: ...


class RieLambdaRunner:
    """What LocalApigwService expects of SAM CLI's LocalLambdaRunner, backed by warm RIE processes."""

    def __init__(self, functions: Mapping[str, RieFunction]):
        self.functions = dict(functions)
        self.invocations: Counter[str] = Counter()

    def invoke_raw(self, function_name: str, event: bytes) -> bytes:
        """Invoke the function once with a JSON event; its raw result (a Lambda error payload included)."""
        function = self.functions.get(function_name)
        if function is None:
            raise FunctionNotFound(f"Unable to find a function with name {function_name!r}")
        self.invocations[function_name] += 1
        return function.invoke_raw(event)

    def invoke(
        self,
        function_identifier: str,
        event: str,
        stdout: StreamWriter | None = None,
        stderr: StreamWriter | None = None,
        tenant_id: str | None = None,
        **_kwargs: object,
    ) -> None:
        """Invoke the function once; its result goes to `stdout` (logs already go to the stack's stderr)."""
        result = self.invoke_raw(function_identifier, event.encode("utf-8"))
        if stdout is not None:
            stdout.write_str(result.decode("utf-8"))

    def is_debugging(self) -> bool:
        return False


# --- IAM policy evaluation --------------------------------------------------------------------------------


class Decision(Enum):
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def wildcard_matches(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM wildcard matching: `*` is any run of characters (including `/`, `:` and newlines), `?` one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    # DOTALL: a path segment may hold any character, a newline (%0A) included; IAM's `*` matches it too.
    flags = re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE
    return re.fullmatch(regex, value, flags) is not None


def evaluate_policy(policy_document: Mapping[str, Any], method_arn: str) -> Decision:
    """Evaluate an authorizer's policy for execute-api:Invoke on `method_arn` as IAM does.

    An explicit Deny wins over any Allow; without a matching Allow the request is implicitly denied.
    """
    decision = Decision.IMPLICIT_DENY
    for statement in _as_list(policy_document.get("Statement", [])):
        if not isinstance(statement, Mapping):
            continue
        actions = _as_list(statement.get("Action", []))
        resources = _as_list(statement.get("Resource", []))
        if not any(wildcard_matches(str(a), INVOKE_ACTION, case_sensitive=False) for a in actions):
            continue
        if not any(wildcard_matches(str(r), method_arn) for r in resources):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return Decision.EXPLICIT_DENY
        if effect == "Allow":
            decision = Decision.ALLOW
    return decision


# --- the authorizer cache ---------------------------------------------------------------------------------


@dataclass
class AuthorizerCache:
    """API Gateway's authorizer cache: a policy per (authorizer, identity-source value) for a TTL."""

    clock: Callable[[], float] = time.monotonic
    _entries: dict[tuple[str, str], tuple[float, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, authorizer: str, identity: str) -> Any | None:
        with self._lock:
            entry = self._entries.get((authorizer, identity))
            if entry is None:
                return None
            expires, response = entry
            if self.clock() >= expires:
                del self._entries[(authorizer, identity)]
                return None
            return response

    def put(self, authorizer: str, identity: str, response: Any, ttl: int) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._entries[(authorizer, identity)] = (self.clock() + ttl, response)


# --- gateway responses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayResponse:
    """One of the API's GatewayResponses: status, static headers and the application/json template."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    template: str | None = None


# API Gateway's built-in status codes and messages for the response types the gateway produces here.
RESPONSE_DEFAULTS: dict[str, tuple[int, str | None]] = {
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": (403, "User is not authorized to access this resource"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "AUTHORIZER_FAILURE": (500, None),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, None),
}


# HTTP APIs answer with fixed bodies (they have no gateway responses to define them).
HTTP_API_RESPONSES: dict[str, tuple[int, str]] = {
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": (403, "Forbidden"),
    "MISSING_AUTHENTICATION_TOKEN": (404, "Not Found"),
    "REQUEST_TOO_LARGE": (413, "Request Entity Too Large"),
    "AUTHORIZER_FAILURE": (500, "Internal Server Error"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "Internal Server Error"),
}


def render_http_api_response(response_type: str) -> Response:
    """Answer as an HTTP API does for `response_type`: its fixed status and {"message": ...}."""
    status, message = HTTP_API_RESPONSES[response_type]
    response = Response(json.dumps({"message": message}), status=status, content_type="application/json")
    response.devstack_final = True  # type: ignore[attr-defined]  # shaped already: see _default_5xx
    return response


def _static_header_value(value: object) -> str | None:
    # Static header values are quoted ('value'); mapped ones (method.request.header.X) are not supported here.
    text = str(value)
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1]
    return None


def parse_gateway_responses(definitions: Mapping[str, Any]) -> dict[str, GatewayResponse]:
    """The AWS::Serverless::Api GatewayResponses property (intrinsics resolved) as GatewayResponse objects."""
    responses: dict[str, GatewayResponse] = {}
    for name, definition in definitions.items():
        raw_headers = (definition.get("ResponseParameters") or {}).get("Headers") or {}
        headers = {k: v for k, raw in raw_headers.items() if (v := _static_header_value(raw)) is not None}
        status = definition.get("StatusCode")
        responses[name] = GatewayResponse(
            status=int(status) if status is not None else None,
            headers=headers,
            template=(definition.get("ResponseTemplates") or {}).get("application/json"),
        )
    return responses


def render_gateway_response(
    responses: Mapping[str, GatewayResponse], response_type: str, message: str | None = None
) -> Response:
    """Answer as API Gateway does for `response_type`: its definition, else DEFAULT_4XX/5XX, else AWS's."""
    default_status, default_message = RESPONSE_DEFAULTS[response_type]
    message = default_message if message is None else message
    status = default_status
    family = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
    definition = responses.get(response_type) or responses.get(family) or GatewayResponse()
    if definition.status is not None and response_type in responses:
        status = definition.status
    template = definition.template or '{"message":$context.error.messageString}'
    body = template.replace("$context.error.messageString", json.dumps(message)).replace(
        "$context.error.message", message or ""
    )
    response = Response(body, status=status, content_type="application/json")
    for name, value in definition.headers.items():
        response.headers[name] = value
    response.devstack_final = True  # type: ignore[attr-defined]  # shaped already: see _default_5xx
    return response


class GatewayAnswer(HTTPException):
    """An answer of API Gateway itself (401, 403, 500 ...), raised through the emulator's request handler."""

    MARK = "gateway response: "

    def __init__(self, response: Response, reason: str):
        super().__init__(description=self.MARK + reason, response=response)
        self.code = response.status_code


class _GatewayAnswerLogFilter(logging.Filter):
    """Drop the emulator's "Lambda authorizer failed to invoke successfully" error for our own answers.

    The emulator logs every exception out of the authorizer step as a failure; a 401 or 403 is not one.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(arg, str) and GatewayAnswer.MARK in arg for arg in args)


logging.getLogger("samcli.local.apigw.local_apigw_service").addFilter(_GatewayAnswerLogFilter())


# --- template settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewaySettings:
    """What the emulator does not read from the template: authorizer cache TTLs and gateway responses."""

    authorizer_ttls: Mapping[str, int]
    gateway_responses: Mapping[str, GatewayResponse]

    @classmethod
    def from_stacks(cls, stacks: Iterable[Stack]) -> GatewaySettings:
        ttls: dict[str, int] = {}
        responses: dict[str, GatewayResponse] = {}
        for stack in stacks:
            template = stack.template_dict
            resolver = IntrinsicResolver(
                template=template,
                symbol_resolver=IntrinsicsSymbolTable(
                    template=template, logical_id_translator=stack.parameters
                ),
            )
            for resource in (template.get("Resources") or {}).values():
                if resource.get("Type") not in API_TYPES:
                    continue
                default_ttl = API_TYPES[resource["Type"]]
                props = resolver.intrinsic_property_resolver(
                    resource.get("Properties") or {}, ignore_errors=False
                )
                for name, authorizer in ((props.get("Auth") or {}).get("Authorizers") or {}).items():
                    ttl = (authorizer.get("Identity") or {}).get("ReauthorizeEvery", default_ttl)
                    ttls[name] = int(ttl)
                responses.update(parse_gateway_responses(props.get("GatewayResponses") or {}))
        return cls(authorizer_ttls=ttls, gateway_responses=responses)


# --- the corrected emulator -------------------------------------------------------------------------------


class CorrectedApigwService(LocalApigwService):  # type: ignore[misc]  # samcli's class is untyped
    """LocalApigwService with the authorizer semantics and gateway responses of API Gateway (REST APIs)."""

    def __init__(
        self,
        api: Api,
        lambda_runner: LambdaRunner,
        settings: GatewaySettings,
        port: int,
        function_names: Mapping[str, str] | None = None,
    ):
        super().__init__(api=api, lambda_runner=lambda_runner, port=port, host=LOOPBACK)
        self.settings = settings
        # FunctionName -> logical id: an API's authorizer in another stack (the nested authorizer
        # application) names its function by FunctionName; runners know functions by logical id.
        self.function_names = dict(function_names or {})
        self.authorizer_cache = AuthorizerCache()
        self.authorizer_invocations: Counter[str] = Counter()
        # An HTTP API's answers (HTTP_API_RESPONSES); a template with REST routes keeps REST's.
        self.http_api = bool(api.routes) and all(route.event_type == Route.HTTP for route in api.routes)

    def _answer(self, response_type: str, reason: str, message: str | None = None) -> GatewayAnswer:
        if self.http_api:
            return GatewayAnswer(render_http_api_response(response_type), reason)
        response = render_gateway_response(self.settings.gateway_responses, response_type, message)
        return GatewayAnswer(response, reason)

    def _construct_error_handling(self) -> None:
        # The emulator answers an unknown route with a bare 403; API Gateway answers an unknown path or
        # method with its MISSING_AUTHENTICATION_TOKEN response, as the template defines it (with the
        # DEFAULT_4XX headers, CORS included, when it does not).
        super()._construct_error_handling()

        def missing_authentication_token(*_args: object) -> Response:
            return self._unknown_route_response()

        self._app.register_error_handler(404, missing_authentication_token)
        self._app.register_error_handler(405, missing_authentication_token)
        self._app.after_request(self._default_5xx)

    def _default_5xx(self, response: Response) -> Response:
        # The emulator's own 5xx (its fixed bodies, without headers) become the template's DEFAULT_5XX,
        # keeping their status; the function's answers (service_response) and ours are final already.
        if response.status_code < 500 or getattr(response, "devstack_final", False):
            return response
        if self.http_api:
            shaped_http: Response = render_http_api_response("AUTHORIZER_FAILURE")
            shaped_http.status_code = response.status_code
            return shaped_http
        definition = self.settings.gateway_responses.get("DEFAULT_5XX") or GatewayResponse()
        body = (definition.template or '{"message":$context.error.messageString}').replace(
            "$context.error.messageString", json.dumps("Internal server error")
        )
        shaped = Response(body, status=response.status_code, content_type="application/json")
        shaped.headers.update(definition.headers)
        return shaped

    @staticmethod
    def service_response(body: str, headers: Any, status_code: int) -> Response:
        response: Response = LocalApigwService.service_response(body, headers, status_code)
        response.devstack_final = True  # type: ignore[attr-defined]  # the function's own answer
        return response

    def _unknown_route_response(self) -> Response:
        if self.http_api:
            return render_http_api_response("MISSING_AUTHENTICATION_TOKEN")
        return render_gateway_response(self.settings.gateway_responses, "MISSING_AUTHENTICATION_TOKEN")

    def _get_current_route(self, flask_request: Any) -> Route:
        # Flask adds HEAD to every GET rule, so HEAD /items reaches the emulator's handler, which finds no
        # route and fails with a 502. API Gateway has no HEAD method there: an unknown method.
        try:
            route: Route = super()._get_current_route(flask_request)
        except KeyError:
            raise GatewayAnswer(self._unknown_route_response(), "no such method") from None
        return route

    def _generate_lambda_event(
        self, flask_request: Any, route: Route, method: str, endpoint: str
    ) -> dict[str, Any]:
        # The emulator decodes every body as UTF-8 and fails with a 502 when it is not. API Gateway hands a
        # body it cannot pass as text over base64-encoded (as for a binary media type); the function then
        # answers for itself (400 "Request body is not valid UTF-8" here).
        try:
            event: dict[str, Any] = super()._generate_lambda_event(flask_request, route, method, endpoint)
        except UnicodeDecodeError:
            if route.event_type != Route.API:  # only REST APIs (payload 1.0) are served here
                raise
            event = construct_v1_event(
                flask_request=flask_request,
                port=self.port,
                binary_types=["*/*"],
                stage_name=self.api.stage_name,
                stage_variables=self.api.stage_variables,
                operation_name=route.operation_name,
                api_type=route.event_type,
            )
        if route.event_type == Route.API:
            context = event.setdefault("requestContext", {})
            # API Gateway: the path the client called (DPoP's htu is checked against it), not the resource.
            context["path"] = flask_request.path
            # No mutual TLS here: REST events then carry clientCert null (RFC 8705 binding reads it).
            identity = context.get("identity")
            if isinstance(identity, dict):
                identity.setdefault("clientCert", None)
        return event

    def _generate_lambda_request_authorizer_event(
        self, flask_request: Any, route: Route, lambda_authorizer: LambdaAuthorizer
    ) -> dict[str, Any]:
        # API Gateway's REST REQUEST authorizer event has the request's headers, path, query and context,
        # but not its body; the emulator's is the whole route event plus type and methodArn.
        event: dict[str, Any] = super()._generate_lambda_request_authorizer_event(
            flask_request, route, lambda_authorizer
        )
        event.pop("body", None)
        event.pop("isBase64Encoded", None)
        return event

    def _invoke_lambda_function(
        self, lambda_function_name: str, event: dict[str, Any], tenant_id: str | None = None
    ) -> str | bytes:
        # Lambda refuses an invocation payload over 6 MB (413 RequestEntityTooLargeException); the RIE
        # fails instead, which the emulator turns into a 502.
        if len(json.dumps(event).encode("utf-8")) > MAX_INVOKE_PAYLOAD_BYTES:
            raise self._answer("REQUEST_TOO_LARGE", "invocation payload over 6 MB")
        response: str | bytes = super()._invoke_lambda_function(lambda_function_name, event, tenant_id)
        return response

    def _valid_identity_sources(self, flask_request: Any, route: Route) -> bool:
        # A missing (or ValidationExpression-failing) identity source is API Gateway's UNAUTHORIZED response,
        # with the template's headers (WWW-Authenticate, CORS); the emulator returns a bare 401 instead.
        if not super()._valid_identity_sources(flask_request, route):
            raise self._answer("UNAUTHORIZED", "identity source missing or invalid")
        return True

    def _invoke_parse_lambda_authorizer(
        self,
        lambda_authorizer: LambdaAuthorizer,
        auth_lambda_event: dict[str, Any],
        route_lambda_event: dict[str, Any],
        route: Route,
    ) -> None:
        # Replaces the emulator's version, which (1) turns an "Unauthorized" error into 502, (2) ignores Deny
        # statements, and (3) invokes the authorizer on every request without caching its policy.
        method_arn = self._create_method_arn(request, route.event_type)
        name = lambda_authorizer.authorizer_name
        ttl = self.settings.authorizer_ttls.get(name, DEFAULT_AUTHORIZER_TTL)
        identity = self._identity_value(lambda_authorizer, auth_lambda_event)
        answer = self.authorizer_cache.get(name, identity)
        if answer is None:
            answer = self._call_authorizer(lambda_authorizer, auth_lambda_event)
            self.authorizer_cache.put(name, identity, answer, ttl)
        if route.event_type == Route.HTTP:
            self._authorize_http_route(lambda_authorizer, answer, method_arn, route_lambda_event)
            return

        decision = evaluate_policy(answer["policyDocument"], method_arn)
        if decision is Decision.EXPLICIT_DENY:
            raise self._answer(
                "ACCESS_DENIED",
                f"explicit deny for {method_arn}",
                "User is not authorized to access this resource with an explicit deny",
            )
        if decision is Decision.IMPLICIT_DENY:
            raise self._answer("ACCESS_DENIED", f"no Allow for {method_arn}")

        # REST APIs hand the context over as strings, with principalId beside it.
        context = {k: _context_string(v) for k, v in (answer.get("context") or {}).items()}
        context["principalId"] = answer["principalId"]
        route_lambda_event.setdefault("requestContext", {})["authorizer"] = context

    def _authorize_http_route(
        self,
        lambda_authorizer: LambdaAuthorizer,
        answer: Mapping[str, Any],
        method_arn: str,
        route_lambda_event: dict[str, Any],
    ) -> None:
        """An HTTP API's verdict on a (possibly cached) answer: simple response or IAM policy."""
        if lambda_authorizer.use_simple_response:
            if answer["isAuthorized"] is not True:
                raise self._answer("ACCESS_DENIED", "isAuthorized false")
        elif evaluate_policy(answer["policyDocument"], method_arn) is not Decision.ALLOW:
            raise self._answer("ACCESS_DENIED", f"no Allow (or a Deny) for {method_arn}")
        # Payload 2.0: the context under "lambda", values as returned (HTTP APIs do not coerce them).
        context = dict(answer.get("context") or {})
        route_lambda_event.setdefault("requestContext", {})["authorizer"] = {"lambda": context}

    @staticmethod
    def _identity_value(lambda_authorizer: LambdaAuthorizer, auth_lambda_event: Mapping[str, Any]) -> str:
        # TOKEN authorizers: the token; REQUEST authorizers: the identity sources' values, as API Gateway
        # keys its cache (the emulator's REST REQUEST event has no identitySource).
        if lambda_authorizer.type == LambdaAuthorizer.TOKEN:
            return str(auth_lambda_event.get("authorizationToken") or "")
        values = [
            source.find_identity_value(headers=request.headers, querystring=request.query_string.decode())
            for source in lambda_authorizer.identity_sources
        ]
        return json.dumps([None if value is None else str(value) for value in values])

    def _call_authorizer(self, lambda_authorizer: LambdaAuthorizer, event: dict[str, Any]) -> dict[str, Any]:
        """Invoke the authorizer: its answer if it is a well-formed policy, else the gateway's answer."""
        self.authorizer_invocations[lambda_authorizer.authorizer_name] += 1
        runner: LambdaRunner = self.lambda_runner
        function = self.function_names.get(lambda_authorizer.lambda_name, lambda_authorizer.lambda_name)
        try:
            raw = runner.invoke_raw(function, json.dumps(event, sort_keys=True).encode())
        except FunctionNotFound:
            missing = lambda_authorizer.lambda_name
            raise self._answer("AUTHORIZER_CONFIGURATION_ERROR", f"no function {missing}") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise self._answer("AUTHORIZER_CONFIGURATION_ERROR", "authorizer answer is not JSON") from None
        if is_error_payload(answer):
            # Only the exact message "Unauthorized" means 401; any other failure is a 500 in API Gateway.
            if answer.get("errorMessage") == "Unauthorized":
                raise self._answer("UNAUTHORIZED", "authorizer answered Unauthorized")
            raise self._answer("AUTHORIZER_FAILURE", "authorizer failed")
        if lambda_authorizer.use_simple_response:
            if not _is_simple_answer(answer):
                raise self._answer(
                    "AUTHORIZER_CONFIGURATION_ERROR", "authorizer answer is not a simple response"
                )
        elif not _is_policy_answer(answer):
            raise self._answer("AUTHORIZER_CONFIGURATION_ERROR", "authorizer answer is not a policy")
        return dict(answer)


def _is_policy_answer(answer: object) -> bool:
    if not isinstance(answer, dict) or not isinstance(answer.get("principalId"), str):
        return False
    document = answer.get("policyDocument")
    if not isinstance(document, dict) or not document.get("Statement"):
        return False
    context = answer.get("context") or {}
    # API Gateway rejects context values that are not strings, numbers or booleans.
    return isinstance(context, dict) and all(
        isinstance(v, str | int | float | bool) for v in context.values()
    )


def _is_simple_answer(answer: object) -> bool:
    # An HTTP API simple response: {"isAuthorized": true|false, "context": {...}}.
    if not isinstance(answer, dict) or not isinstance(answer.get("isAuthorized"), bool):
        return False
    return isinstance(answer.get("context") or {}, dict)


def _context_string(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- assembling and serving -------------------------------------------------------------------------------


def build_gateway(stacks: list[Stack], runner: LambdaRunner, port: int) -> CorrectedApigwService:
    """The corrected emulator for the template's API, its Flask app created (not yet serving)."""
    with samcli_template_processing():
        api = ApiProvider(stacks, cwd=str(ROOT)).api
        settings = GatewaySettings.from_stacks(stacks)
        functions = list(SamFunctionProvider(stacks).get_all())
    names = {
        function.functionname: function.name
        for function in functions
        if isinstance(function.functionname, str) and function.functionname != function.name
    }
    service = CorrectedApigwService(
        api=api, lambda_runner=runner, settings=settings, port=port, function_names=names
    )
    service.create()
    return service


@dataclass(frozen=True)
class RunningGateway:
    service: CorrectedApigwService
    server: RunningServer

    @property
    def url(self) -> str:
        return f"{self.server.url}/"

    def stop(self) -> None:
        self.server.stop()


def start_gateway(stacks: list[Stack], runner: LambdaRunner, port: int | None = None) -> RunningGateway:
    """Serve the corrected emulator on 127.0.0.1:port (a free one by default) in a background thread."""
    port = port or free_port()
    service = build_gateway(stacks, runner, port)
    # LocalApigwService.run() blocks in Flask's app.run(); serving its app ourselves lets the stack stop it.
    return RunningGateway(service=service, server=start_wsgi(service._app, port, "gateway"))
