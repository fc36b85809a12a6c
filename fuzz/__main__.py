"""`python -m fuzz [TARGET ...] [--seconds N]`: run the fuzz targets, each for N seconds, from the seeds.

Exit status 1 when any target crashed or broke its oracle (the input is saved under .local/fuzz/).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from fuzz.common import ROOT, code_roots

TARGETS = ("authorizer", "dpop", "handler")
WORK_DIR = ROOT / ".local" / "fuzz"


@contextmanager
def target_environment(target: str) -> Iterator[dict[str, str]]:
    """The child's environment: the handler target gets its own DynamoDB Local with both tables."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if target != "handler":
        yield env
        return
    code_roots()
    from devstack.dynamodb_local import dynamodb_local  # noqa: PLC0415 - only the handler target needs it

    with dynamodb_local() as ddb:
        ddb.create_table("items-fuzz")
        ddb.create_table("idempotency-fuzz", "IdempotencyTable")
        yield {**env, "DYNAMODB_ENDPOINT_URL": ddb.endpoint_url}


def run_target(target: str, seconds: int, inputs: Sequence[str] = ()) -> int:
    seeds = ROOT / "fuzz" / "corpus" / target
    scratch = WORK_DIR / f"corpus-{target}"  # new inputs land here, never in the committed seeds
    scratch.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with target_environment(target) as env:
        command = [
            sys.executable,
            "-m",
            f"fuzz.{target}_target",
            f"-max_total_time={seconds}",
            "-timeout=30",
            "-rss_limit_mb=3072",
            f"-artifact_prefix={WORK_DIR}/{target}-",
            "-print_final_stats=1",
            # Files instead of folders: libFuzzer runs just those inputs (a crash replayed).
            *(inputs or [str(scratch), str(seeds)]),
        ]
        code = subprocess.run(command, env=env, cwd=ROOT, check=False).returncode  # noqa: S603
    verdict = "ok" if code == 0 else f"FAILED (exit {code}; input saved under {WORK_DIR})"
    print(f"fuzz {target}: {verdict}, wall {time.monotonic() - started:.0f} s", flush=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=f"{' or '.join(TARGETS)} (default: all)")
    parser.add_argument("--seconds", type=int, default=600, help="per target (default 600)")
    parser.add_argument("--replay", nargs="+", default=[], metavar="FILE", help="run only these inputs")
    args = parser.parse_args(argv)
    targets = args.targets or TARGETS
    unknown = set(targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown target(s) {', '.join(sorted(unknown))}; choose from {', '.join(TARGETS)}")
    failed = [target for target in targets if run_target(target, args.seconds, args.replay) != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
