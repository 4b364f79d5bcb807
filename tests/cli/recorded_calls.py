"""The gRPC calls a `tempo GROUP ...` command line makes, recorded in its own process: the lean
paths' tests compare them with the Typer app's, request by request."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

# Runs `tempo GROUP ARGV` (through tempo_cli.entry, or with "app" first the Typer app), the
# blocking transport's calls recorded in the file named last: path, message, headers, timeout.
_RECORDING = """
import json, sys
from sdk import _h2_channel
calls = []
unary = _h2_channel.H2Channel.unary
def recorded(self, path, message, metadata, timeout):
    calls.append([path, bytes(message).hex(), [list(header) for header in metadata], timeout])
    return unary(self, path, message, metadata, timeout)
_h2_channel.H2Channel.unary = recorded
which, group, argv, log = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
sys.argv = ["tempo", group, *argv]
try:
    if which == "app":
        from tempo_cli.main import app
        app(prog_name="tempo")
    else:
        from tempo_cli.entry import main
        main()
except SystemExit:
    pass
finally:
    with open(log, "w") as file:
        json.dump(calls, file)
"""


class Call(NamedTuple):
    """One call: its method's name, the request message, its headers, its timeout (seconds)."""

    method: str
    request: Any
    headers: list[list[str]]
    timeout: float


def recorded_calls(which: str, group: str, argv: list[str], environment: dict[str, str], log: Path) -> list[Call]:
    """The calls `tempo GROUP ARGV` (``which``: "tempo" or "app") made, in order; ``log`` is
    the file they are recorded in."""
    from temporalio.api.workflowservice.v1 import request_response_pb2

    command = [sys.executable, "-c", _RECORDING, which, group, json.dumps(argv), str(log)]
    subprocess.run(command, capture_output=True, env=environment, timeout=60, check=False)
    calls = []
    for path, data, headers, timeout in json.loads(log.read_text()):
        method = path.rsplit("/", 1)[1]
        request = getattr(request_response_pb2, f"{method}Request").FromString(bytes.fromhex(data))
        calls.append(Call(method, request, headers, timeout))
    return calls
