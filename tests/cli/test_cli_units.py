"""Parts of the CLI that need no server: input parsing and import hygiene."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tempo_cli._context import UsageError
from tempo_cli._inputs import parse_duration, parse_reuse_policy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30", timedelta(seconds=30)),
        ("90s", timedelta(seconds=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("250ms", timedelta(milliseconds=250)),
        ("1.5h", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
    ],
)
def test_durations_like_the_real_cli(text: str, expected: timedelta) -> None:
    assert parse_duration("--run-timeout", text) == expected


@pytest.mark.parametrize("text", ["soon", "10 s", "5x", "-3s", "0", "1h30"])
def test_bad_durations_name_the_option(text: str) -> None:
    with pytest.raises(UsageError, match=r"^--run-timeout: "):
        parse_duration("--run-timeout", text)


def test_policies_are_case_and_separator_insensitive() -> None:
    assert parse_reuse_policy("reject-duplicate") == parse_reuse_policy("RejectDuplicate")
    assert parse_reuse_policy("REJECT_DUPLICATE") is not None


def test_help_and_completion_do_not_import_the_sdk_or_the_tui() -> None:
    # `tempo workflow --help` and tab completion should start fast: no protobufs, no Textual.
    code = (
        "import sys; import tempo_cli.workflow; "
        "print(sorted(m for m in ('temporalio', 'sdk', 'textual', 'grpc') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]
    )
    assert out.stdout.strip() == "[]"
