"""What the CLI tests read from a command's result (its JSON, its one-line error), the real
`temporal` CLI to compare with, and unique ids.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

from tests.servers import temporal_binary


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def json_out(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def one_line_error(result: Any) -> str:
    """The error a failed command printed: exactly one line on stderr, no traceback."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")


def real_cli(address: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `temporal` CLI, for comparing output formats."""
    return subprocess.run(
        [temporal_binary(), *args, "--address", address],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )


def real_cli_outcome(address: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `temporal` CLI, for commands expected to fail (its exit code and stderr)."""
    return subprocess.run(
        [temporal_binary(), *args, "--address", address],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
