"""`python -m devstack` (`make run`): the protected API on 127.0.0.1, without Docker or an AWS account.

Starts the local OAuth 2.0 issuer, DynamoDB Local (with the table from template.yaml), both functions in
the Lambda Runtime Interface Emulator, and SAM CLI's API Gateway emulator; prints the URL and curl commands.
Ctrl-C (SIGINT) or SIGTERM stops everything. From another shell, `python -m devstack issuer stop|start|slow N`
controls the running stack's issuer, and `python -m devstack revoke --sub SUB | --client CLIENT_ID | --jti JTI
[--iss ISSUER]` writes a revocation into its table (devstack.control).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

from devstack.control import run_command, serving_control
from devstack.issuer import CLIENT_SCOPES, DEFAULT_AUDIENCE, dev_clients, parse_client_secrets
from devstack.signin import USER_PERMISSIONS, dev_users, parse_user_passwords
from devstack.stack import LocalStack, OutsideIssuerStack, StackOptions, local_stack, outside_issuer_stack
from devstack.template import TEMPLATE_PATH


def parse_args(argv: Sequence[str] | None) -> StackOptions:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--template",
        type=Path,
        default=TEMPLATE_PATH,
        help="the SAM template to serve: template.yaml (default) or another API nesting the authorizer"
        " application, e.g. examples/http-api/template.yaml",
    )
    parser.add_argument("--port", type=int, help="the API's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--issuer-port", type=int, help="the issuer's port (default: a free one)")
    parser.add_argument("--ddb-port", type=int, help="DynamoDB Local's port (default: a free one)")
    parser.add_argument("--audience", default=DEFAULT_AUDIENCE, help="the API identifier (token audience)")
    parser.add_argument("--cache-ttl", type=int, help="AuthorizerCacheTtl (default: the template's; 0 = off)")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="LogLevel")
    parser.add_argument(
        "--dpop",
        choices=["off", "allowed", "required"],
        default="off",
        help="DPoP (RFC 9449; default off, as the template): allowed/required select the REQUEST authorizer,"
        " turn the authorizer cache off and create the replay table in DynamoDB Local",
    )
    parser.add_argument(
        "--authorizer-type",
        choices=["TOKEN", "REQUEST"],
        help="AuthorizerType (default: REQUEST with --dpop allowed/required, else the template's TOKEN)",
    )
    parser.add_argument(
        "--persist",
        type=Path,
        metavar="DIR",
        help="keep DynamoDB Local's data in DIR (default: in memory; a restart then loses every item)",
    )
    parser.add_argument(
        "--client-secret",
        action="append",
        default=[],
        metavar="CLIENT_ID=SECRET",
        help=f"fix a development client's secret ({', '.join([*CLIENT_SCOPES, 'dev-webapp'])};"
        " default: random per run)",
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="NAME=PASSWORD",
        help=f"fix a development user's password ({', '.join(USER_PERMISSIONS)}; default: random per run)",
    )
    parser.add_argument(
        "--issuer",
        metavar="URL",
        help="trust an outside issuer (Auth0: https://TENANT.auth0.com/) instead of starting the local one;"
        " its discovery, keys and tokens; give its API identifier with --audience",
    )
    parser.add_argument(
        "--spa-client-id", default="dev-spa", help="with --issuer: the SPA's client id at that issuer"
    )
    parser.add_argument(
        "--spa-port", type=int, help="the SPA's port (default: a free one; fix it to register its URL)"
    )
    args = parser.parse_args(argv)
    if args.issuer is not None:
        if not args.issuer.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
            parser.error("--issuer must be an https:// URL (or http:// on 127.0.0.1)")
        if args.user or args.client_secret or args.issuer_port:
            parser.error(
                "--user, --client-secret and --issuer-port are the local issuer's; not with --issuer"
            )
    if args.dpop != "off" and args.authorizer_type == "TOKEN":
        # As the template's DPoPNeedsRequestAuthorizer rule: a TOKEN authorizer never sees a DPoP proof.
        parser.error(
            "--dpop allowed/required needs the REQUEST authorizer (a TOKEN one never sees the proof)"
        )
    if not args.template.is_file():
        parser.exit(2, f"{parser.prog}: error: --template {args.template}: no such file\n")
    try:
        client_secrets = parse_client_secrets(args.client_secret)
        dev_clients(client_secrets)  # an unknown client id fails here, as one usage line, not a traceback
        user_passwords = parse_user_passwords(args.user)
        dev_users(user_passwords)
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")  # one line, not the usage block
    return StackOptions(
        port=args.port,
        issuer_port=args.issuer_port,
        ddb_port=args.ddb_port,
        audience=args.audience,
        cache_ttl=args.cache_ttl,
        client_secrets=client_secrets,
        log_level=args.log_level,
        persist=args.persist,
        dpop=args.dpop,
        authorizer_type=args.authorizer_type,
        user_passwords=user_passwords,
        issuer_url=args.issuer,
        spa_client_id=args.spa_client_id,
        spa_port=args.spa_port,
        template=args.template,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] in (["issuer"], ["revoke"]):
        return run_command(args)
    options = parse_args(args)
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    # Both end the wait below; local_stack() then stops every process it started.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print("Starting the local stack (issuer, DynamoDB Local, Lambda RIE, API gateway) ...", flush=True)
    with ExitStack() as running:
        if options.issuer_url is not None:
            stack: LocalStack | OutsideIssuerStack = running.enter_context(
                outside_issuer_stack(options, log_sink=sys.stderr)
            )
        else:
            local = running.enter_context(local_stack(options, log_sink=sys.stderr))
            running.enter_context(serving_control(local.issuer, revoker=local.revoke))
            stack = local
        print(stack.instructions(), flush=True)
        while not stop.wait(0.5):
            pass
        print("\nStopping ...", flush=True)
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
