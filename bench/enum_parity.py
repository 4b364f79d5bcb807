"""Every enum field of every RPC Tempo implements, set to a value its enum does not define (and
repeated enums to UNSPECIFIED), sent to Tempo and to the real dev server: where the two answer
differently (status code, or the message of a refusal). The record in docs/wire/enums.md was
made with it.

Run: .venv/bin/python -m bench.enum_parity [--methods ResetWorkflowExecution,...] [--all]
Prints one line per case that differs (every case with --all), then the number of each.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import grpc

from devserver.grpc_service import WorkflowService
from devserver.operator_service import OperatorService
from tests.reliability.enum_cases import Requests, answer, enum_cases
from tests.reliability.fuzzing import OPERATOR_SERVICE, WORKFLOW_SERVICE, implemented_methods
from tests.reliability.harness import logged
from tests.servers import ServerProcess, real_server, tempo_server

Answers = dict[str, tuple[str, str]]


def answers_of(server: ServerProcess, wanted: set[str]) -> Answers:
    methods = [(WORKFLOW_SERVICE.full_name, m) for m in implemented_methods(WORKFLOW_SERVICE, WorkflowService)] + [
        (OPERATOR_SERVICE.full_name, m) for m in implemented_methods(OPERATOR_SERVICE, OperatorService)
    ]
    result: Answers = {}
    server.start(timeout=90)
    try:
        with grpc.insecure_channel(server.address) as channel:
            requests = Requests(channel, "default")
            for service, method in methods:
                if wanted and method.name not in wanted:
                    continue
                for case in enum_cases([method]):
                    try:
                        code, message = answer(requests, service, case)
                        result[case.name] = (code.name, message)
                    except grpc.RpcError as error:  # building the request failed
                        result[case.name] = (f"SETUP {error.code().name}", error.details() or "")
    finally:
        server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="", help="comma-separated RPC names (default: all)")
    parser.add_argument("--all", action="store_true", help="print every case, not only the differing ones")
    args = parser.parse_args()
    wanted = {name for name in args.methods.split(",") if name}
    with tempfile.TemporaryDirectory() as directory:
        tempo = answers_of(logged(tempo_server(), Path(directory) / "tempo.log"), wanted)
        traceback = "Traceback" in (Path(directory) / "tempo.log").read_text(errors="replace")
    real = answers_of(real_server(), wanted)
    differing = 0
    for name, (tempo_code, tempo_message) in tempo.items():
        real_code, real_message = real.get(name, ("-", ""))
        # A deadline's message is whatever the transport said.
        same = tempo_code == real_code and (tempo_code in ("OK", "DEADLINE_EXCEEDED") or tempo_message == real_message)
        differing += not same
        if args.all or not same:
            print(f"{'  ' if same else '≠ '}{name}\n    tempo {tempo_code} {tempo_message[:160]}")
            print(f"    real  {real_code} {real_message[:160]}")
    print(f"{len(tempo)} cases, {differing} answered differently; Tempo's log has a traceback: {traceback}")


if __name__ == "__main__":
    main()
