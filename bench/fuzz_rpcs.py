"""The long fuzz: many generated requests, garbage bytes and the empty message for every RPC
Tempo implements, against Tempo and the real dev server side by side; the status codes each
answered, and the ones a server should not answer to a client's input (UNKNOWN, INTERNAL, a
non-poll call running into its deadline, ...).

Run: .venv/bin/python -m bench.fuzz_rpcs [--examples 300] [--servers tempo,real]
Prints one JSON line per server: per RPC the calls made and the codes seen.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections import Counter
from pathlib import Path

import grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devserver.grpc_service import WorkflowService
from devserver.operator_service import OperatorService
from tests.reliability.fuzzing import (
    FUZZ_NAMESPACE,
    OPERATOR_SERVICE,
    WORKFLOW_SERVICE,
    StrategyBuilder,
    acceptable,
    call_raw,
    deadline_for,
    garbage,
    implemented_methods,
)
from tests.reliability.harness import connect, logged
from tests.reliability.test_fuzz import _seed
from tests.servers import real_server, tempo_server


def fuzz(address: str, examples: int) -> dict[str, Counter[str]]:
    targets = _seed(address)
    builder = StrategyBuilder(targets)
    codes: dict[str, Counter[str]] = {}
    methods = [(WORKFLOW_SERVICE.full_name, m) for m in implemented_methods(WORKFLOW_SERVICE, WorkflowService)]
    methods += [(OPERATOR_SERVICE.full_name, m) for m in implemented_methods(OPERATOR_SERVICE, OperatorService)]
    with grpc.insecure_channel(address) as channel:

        def call(service: str, name: str, payload: bytes) -> None:
            code, _ = call_raw(channel, service, name, payload, deadline_for(name))
            codes.setdefault(name, Counter())[code.name] += 1

        for service, method in methods:
            strategy = builder.request(method)

            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(data=st.data())
            def generated(data: st.DataObject) -> None:
                call(service, method.name, data.draw(strategy).SerializeToString())  # noqa: B023

            @settings(
                max_examples=max(10, examples // 3),
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(payload=garbage())
            def junk(payload: bytes) -> None:
                call(service, method.name, payload)  # noqa: B023

            generated()
            junk()
            call(service, method.name, b"")
    return codes


async def one(kind: str, examples: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        make = tempo_server if kind == "tempo" else real_server
        db = Path(directory) / "fuzz.db"
        server = logged(make("--db-filename", str(db), "--namespace", FUZZ_NAMESPACE), Path(directory) / "log")
        server.start(timeout=60)
        try:
            await connect(server.address)
            codes = await asyncio.to_thread(fuzz, server.address, examples)
            # Still serving, and the file reopens.
            server.stop()
            clean_stop = server.proc is not None and server.proc.returncode == 0
            server.start(timeout=60)
            await connect(server.address)
            reopened = True
        finally:
            server.stop()
        tracebacks = server.log().count("Traceback")
    unacceptable = {
        name: {code: n for code, n in counter.items() if not acceptable(name, grpc.StatusCode[code])}
        for name, counter in codes.items()
    }
    return {
        "server": kind,
        "examples_per_rpc": examples,
        "rpcs": len(codes),
        "calls": sum(sum(c.values()) for c in codes.values()),
        "codes": dict(sum(codes.values(), Counter())),
        "unacceptable": {name: bad for name, bad in unacceptable.items() if bad},
        "per_rpc": {name: dict(counter) for name, counter in sorted(codes.items())},
        "stopped_cleanly": clean_stop,
        "file_reopened": reopened,
        "tracebacks_in_log": tracebacks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="generated requests per RPC")
    parser.add_argument("--servers", default="tempo,real")
    args = parser.parse_args()
    for kind in args.servers.split(","):
        print(json.dumps(asyncio.run(one(kind, args.examples))), flush=True)


if __name__ == "__main__":
    main()
