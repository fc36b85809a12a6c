"""Retried POSTs under concurrent load: with an Idempotency-Key one item per key, without one item per POST.

Retries are concurrent (a client that times out and retries while the first attempt still runs) and also
cross a killed API runtime; "nothing lost, nothing doubled" is checked by counting the owner's items.
"""

from __future__ import annotations

import os
import signal
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from fault_load import FaultClient, headers_lower, unique_tag

from devstack.client import HttpResponse
from devstack.stack import LocalStack

pytestmark = pytest.mark.slow

KEYS = 8
RETRIES = 3  # attempts per key, all sent at once
MAX_409_ROUNDS = 20  # safety bound on "retry later" answers; each waits the Retry-After it was given


def _post_until_settled(client: FaultClient, token: str, name: str, key: str) -> list[HttpResponse]:
    """POST with the key, honouring 409 + Retry-After, until a final answer (bounded)."""
    answers = []
    for _ in range(MAX_409_ROUNDS):
        response = client.call("POST", "/items", token, {"name": name}, {"Idempotency-Key": key})
        answers.append(response)
        if response.status not in {409, 503}:
            return answers
        time.sleep(float(headers_lower(response.headers)["retry-after"]))
    raise AssertionError(
        f"{key}: no final answer after {MAX_409_ROUNDS} tries: {[a.status for a in answers]}"
    )


def test_concurrent_retries_of_each_key_make_exactly_one_item_per_key(
    stack: LocalStack, client: FaultClient
) -> None:
    token = client.token()
    tag = unique_tag("idem")
    jobs = [(f"{tag}-{k}", f"{tag}-key-{k}") for k in range(KEYS) for _ in range(RETRIES)]

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda job: _post_until_settled(client, token, *job), jobs))
    seconds = time.monotonic() - started
    statuses = [a.status for answers in results for a in answers]
    print(
        f"LOAD idempotent retries: requests={len(statuses)} statuses={sorted(set(statuses))} "
        f"409s={statuses.count(409)} duration={seconds:.1f}s"
    )

    # THEN every attempt ends in a 201, and every 201 of one key is the same item
    ids_by_key: dict[str, set[str]] = defaultdict(set)
    for (_, key), answers in zip(jobs, results, strict=True):
        assert answers[-1].status == 201
        ids_by_key[key].add(answers[-1].json()["id"])
    assert all(len(ids) == 1 for ids in ids_by_key.values())
    listed = [item["id"] for item in client.listed(token) if item["name"].startswith(f"{tag}-")]
    assert sorted(listed) == sorted(next(iter(ids)) for ids in ids_by_key.values())


def test_retried_posts_without_a_key_make_one_item_each(stack: LocalStack, client: FaultClient) -> None:
    token = client.token()
    tag = unique_tag("nokey")
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda n: client.call("POST", "/items", token, {"name": f"{tag}-{n // 3}"}), range(12))
        )

    assert [a.status for a in answers] == [201] * 12
    listed = [item["id"] for item in client.listed(token) if item["name"].startswith(f"{tag}-")]
    assert sorted(listed) == sorted(a.json()["id"] for a in answers)


def test_a_key_retried_across_a_killed_api_runtime_makes_one_item(
    stack: LocalStack, client: FaultClient
) -> None:
    token = client.token()
    tag = unique_tag("idem-kill")
    rie = stack.runner.functions["ApiFunction"]
    keys = [f"{tag}-key-{k}" for k in range(6)]
    with ThreadPoolExecutor(4) as pool:
        first = [
            pool.submit(
                client.call, "POST", "/items", token, {"name": f"{tag}-{k}"}, {"Idempotency-Key": key}
            )
            for k, key in enumerate(keys)
        ]
        first[1].result()
        assert rie.process is not None
        os.killpg(rie.process.pid, signal.SIGKILL)
        first_statuses = [f.result().status for f in first]
    # the client retries every key, whatever the first answer was
    final = [_post_until_settled(client, token, f"{tag}-{k}", key)[-1] for k, key in enumerate(keys)]
    print(
        f"LOAD key retried across a killed runtime: first={first_statuses} final={[a.status for a in final]}"
    )

    assert set(first_statuses) <= {201, 409, 502}
    assert [a.status for a in final] == [201] * len(keys)
    listed = [item["id"] for item in client.listed(token) if item["name"].startswith(f"{tag}-")]
    assert sorted(listed) == sorted(a.json()["id"] for a in final)
