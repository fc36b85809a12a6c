"""Run in a fresh interpreter from authorizer/: import app.py, answer the event on stdin (the first
request, which fetches the key set), then 200 more; print the first request's time as JSON, then the
process's peak RSS in KiB."""

import json
import logging
import os
import sys
import time

import app  # the cold start


class Context:
    function_name = "authorizer"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
    aws_request_id = "bench-cold"


event = json.load(sys.stdin)
with open(os.devnull, "w", buffering=1) as sink:
    for handler in logging.getLogger("authorizer").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)
    start = time.perf_counter()
    app.lambda_handler(event, Context())
    first = time.perf_counter() - start
    for _ in range(200):
        app.lambda_handler(event, Context())
print(json.dumps({"first_request_seconds": first}))
with open("/proc/self/status", encoding="ascii") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
