"""Parse what users type: JSON inputs, durations, ID policies. Errors say which argument."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sdk.client import WorkflowIdConflictPolicy, WorkflowIdReusePolicy
from tempo_cli._cli import UsageError
from tempo_cli._durations import duration_seconds


def _json_error(what: str, err: json.JSONDecodeError) -> UsageError:
    return UsageError(f"{what} is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}")


def parse_inputs(inputs: Sequence[str], files: Sequence[Path]) -> list[Any]:
    """Decode ``--input`` values or ``--input-file`` contents, one argument each.

    Raises:
        UsageError: Both kinds given, a file cannot be read, or some JSON is invalid.
    """
    if inputs and files:
        raise UsageError("use either --input or --input-file, not both")
    values: list[Any] = []
    for index, text in enumerate(inputs, start=1):
        try:
            values.append(json.loads(text))
        except json.JSONDecodeError as err:
            what = "--input" if len(inputs) == 1 else f"--input #{index}"
            raise _json_error(f"{what} ({_preview(text)})", err) from None
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise UsageError(f"cannot read --input-file {path}: {reason}") from None
        try:
            values.append(json.loads(text))
        except json.JSONDecodeError as err:
            raise _json_error(f"--input-file {path}", err) from None
    return values


def _preview(text: str) -> str:
    return repr(text if len(text) <= 30 else text[:27] + "...")


def parse_duration(option: str, text: str | None) -> datetime.timedelta | None:
    """Parse ``90s``, ``5m``, ``1h30m``, ``250ms`` or plain seconds (``30``).

    Raises:
        UsageError: The text is not a duration.
    """
    if text is None:
        return None
    seconds = duration_seconds(text)
    if seconds is None:
        raise UsageError(f"{option}: {text!r} is not a duration (examples: 30s, 5m, 1h30m, 250ms)")
    if seconds <= 0:
        raise UsageError(f"{option}: the duration must be positive, got {text!r}")
    return datetime.timedelta(seconds=seconds)


def _normalise(text: str) -> str:
    return re.sub(r"[-_\s]", "", text).lower()


def parse_reuse_policy(text: str | None) -> WorkflowIdReusePolicy | None:
    """Parse ``AllowDuplicate``, ``AllowDuplicateFailedOnly``, ``RejectDuplicate``, ...

    Raises:
        UsageError: Unknown policy.
    """
    return _parse_enum("--id-reuse-policy", text, WorkflowIdReusePolicy)


def parse_conflict_policy(text: str | None) -> WorkflowIdConflictPolicy | None:
    """Parse ``Fail``, ``UseExisting`` or ``TerminateExisting``.

    Raises:
        UsageError: Unknown policy.
    """
    return _parse_enum("--id-conflict-policy", text, WorkflowIdConflictPolicy)


def _parse_enum(option: str, text: str | None, kind: Any) -> Any:
    if text is None:
        return None
    for member in kind:
        if _normalise(member.name) == _normalise(text):
            return member
    names = ", ".join(_camel(m.name) for m in kind)
    raise UsageError(f"{option}: unknown policy {text!r}; choose one of {names}")


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
