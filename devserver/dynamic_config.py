"""`--dynamic-config-value KEY=JSON`, as `temporal server start-dev` takes it.

Tempo honours the keys that change what a dev server does for a workflow
(history limits, blob size limits, eager workflow start, long-poll expiry) and
accepts every other key with a note that it has no effect here, so scripts
written for the real dev server run unchanged. Values are JSON, parsed the way
the real CLI parses them; a value of the wrong type for an honoured key is an
error (the real server would log it and silently keep its default).

This module stays free of heavy imports: the CLI reads `HONOURED_KEYS` for its
`--help` text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

Config = TypeVar("Config")


@dataclass(frozen=True)
class HonouredKey:
    """A dynamic config key Tempo applies: its value kind and what it sets in `ServerConfig`."""

    name: str
    kind: str  # "int" (bytes or events), "bool" or "duration"
    meaning: str
    # ServerConfig attribute it sets; "limits." names a field of devserver.core.limits.Limits.
    target: str


HONOURED_KEYS: tuple[HonouredKey, ...] = (
    HonouredKey(
        "limit.historyCount.error", "int", "events after which a run is terminated", "limits.history_count_error"
    ),
    HonouredKey(
        "limit.historyCount.warn", "int", "events after which the server logs a warning", "limits.history_count_warn"
    ),
    HonouredKey(
        "limit.historyCount.suggestContinueAsNew",
        "int",
        "events from which workflow tasks suggest continue-as-new",
        "limits.history_count_suggest_continue_as_new",
    ),
    HonouredKey(
        "limit.historySize.error", "int", "history bytes after which a run is terminated", "limits.history_size_error"
    ),
    HonouredKey(
        "limit.historySize.warn",
        "int",
        "history bytes after which the server logs a warning",
        "limits.history_size_warn",
    ),
    HonouredKey(
        "limit.historySize.suggestContinueAsNew",
        "int",
        "history bytes from which workflow tasks suggest continue-as-new",
        "limits.history_size_suggest_continue_as_new",
    ),
    HonouredKey("limit.blobSize.error", "int", "largest payload field accepted, in bytes", "limits.blob_size_error"),
    HonouredKey(
        "limit.blobSize.warn", "int", "payload bytes above which the server logs a warning", "limits.blob_size_warn"
    ),
    HonouredKey(
        "limit.numPendingActivities.error",
        "int",
        "activities a run may have pending; one more fails the workflow task",
        "limits.pending_activities_error",
    ),
    HonouredKey(
        "limit.numPendingChildExecutions.error",
        "int",
        "child workflows a run may have pending; one more fails the workflow task",
        "limits.pending_children_error",
    ),
    HonouredKey(
        "limit.numPendingSignals.error",
        "int",
        "signals to other workflows a run may have pending; one more fails the workflow task",
        "limits.pending_signals_error",
    ),
    HonouredKey(
        "limit.numPendingCancelRequests.error",
        "int",
        "cancel requests to other workflows a run may have pending; one more fails the workflow task",
        "limits.pending_cancels_error",
    ),
    HonouredKey(
        "system.enableEagerWorkflowStart",
        "bool",
        "hand a new run's first workflow task back in the start response when asked",
        "eager_workflow_start",
    ),
    HonouredKey(
        "frontend.WorkflowPauseEnabled",
        "bool",
        "allow PauseWorkflowExecution (off: UNIMPLEMENTED; unpausing is always allowed)",
        "workflow_pause_enabled",
    ),
    HonouredKey(
        "matching.longPollExpirationInterval",
        "duration",
        "how long a worker's task poll waits before an empty answer",
        "long_poll_timeout",
    ),
    HonouredKey(
        "history.longPollExpirationInterval",
        "duration",
        "how long a history long poll (workflow result, show --follow) waits",
        "history_long_poll_timeout",
    ),
    HonouredKey(
        "frontend.WorkflowTimeSkippingEnabled",
        "bool",
        "per-workflow time skipping (TimeSkippingConfig); on by default in Tempo",
        "workflow_time_skipping",
    ),
    HonouredKey(
        "frontend.namespaceCount",
        "int",
        "concurrent long-running calls (task polls, queries, updates) per namespace and method",
        "concurrent_long_polls",
    ),
)
_BY_NAME = {key.name: key for key in HONOURED_KEYS}


def parse_flags(values: Iterable[str]) -> dict[str, Any]:
    """KEY=JSON flags as a dict (a repeated key: the last wins); ValueError names the bad one."""
    parsed: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ValueError(
                f"invalid --dynamic-config-value {item!r}: expected KEY=JSON, e.g. limit.blobSize.error=1024"
            )
        if not key:
            raise ValueError(f"invalid --dynamic-config-value {item!r}: the key is empty")
        try:
            parsed[key] = json.loads(raw)
        except ValueError:
            raise ValueError(
                f"invalid --dynamic-config-value {item!r}: the value is not JSON (quote strings: {key}='\"text\"')"
            ) from None
    return parsed


def apply(config: Config, values: dict[str, Any]) -> tuple[Config, list[str]]:
    """`config` (a ServerConfig) with the honoured keys applied, and the keys it ignores."""
    ignored = []
    for name, value in values.items():
        key = _BY_NAME.get(name)
        if key is None:
            ignored.append(name)
            continue
        config = _set(config, key.target, _CONVERTERS[key.kind](name, value))
    return config, ignored


def _set(config: Any, target: str, value: Any) -> Any:
    head, _, rest = target.partition(".")
    if rest:
        return replace(config, **{head: _set(getattr(config, head), rest, value)})
    return replace(config, **{head: value})


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"invalid --dynamic-config-value for {name}: expected a whole number >= 0, got {value!r}")
    return value


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    # Like the real server, strings Go's strconv.ParseBool reads are accepted too.
    if isinstance(value, str) and value in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if isinstance(value, str) and value in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise ValueError(f"invalid --dynamic-config-value for {name}: expected true or false, got {value!r}")


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _duration(name: str, value: Any) -> float:
    """Seconds: a JSON number counts seconds, a string is a Go duration ("20s", "1m30s", "500ms")."""
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = parse_duration(value)
    if seconds is None or seconds <= 0 or math.isinf(seconds):
        raise ValueError(
            f'invalid --dynamic-config-value for {name}: expected a positive duration like "20s" or a number '
            f"of seconds, got {value!r}"
        )
    return seconds


def parse_duration(text: str) -> float | None:
    """A Go duration string (plus "d" for days; a bare number counts seconds) in seconds, or None."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d*)?|\.\d+", text):
        return float(text)
    position, total = 0, 0.0
    while position < len(text):
        part = _DURATION_PART.match(text, position)
        if part is None:
            return None
        total += float(part.group(1)) * _UNIT_SECONDS[part.group(2)]
        position = part.end()
    return total if text else None


_CONVERTERS: dict[str, Callable[[str, Any], Any]] = {"int": _int, "bool": _bool, "duration": _duration}


def help_text() -> str:
    """The honoured keys, one per line, for `tempo server start-dev --help`."""
    return "\n\n".join(f"  {key.name} ({key.kind}): {key.meaning}" for key in HONOURED_KEYS)
