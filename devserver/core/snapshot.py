"""Mutable state to bytes and back, for storage.

The encoding is JSON: dataclasses become objects tagged with their class
name, protobuf messages their serialized bytes (base64) tagged with the full
message name. Fields added to a dataclass later simply take their default when
an older snapshot is read, so adding state needs no migration.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from google.protobuf import symbol_database
from google.protobuf.message import Message

from devserver.core.activities import ActivityInfo
from devserver.core.changes import RunKey
from devserver.core.mutable_state import ChildInfo, MutableState, TimerInfo, UpdateInfo, WorkflowTask

FORMAT_VERSION = 1

_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (MutableState, WorkflowTask, TimerInfo, ActivityInfo, RunKey, ChildInfo, UpdateInfo)
}
# State that only lives as long as the process: callers waiting on queries are gone after a restart.
_TRANSIENT_FIELDS = {"buffered_queries", "legacy_queries"}


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Message):
        data = base64.b64encode(value.SerializeToString(deterministic=True)).decode()
        return {"$pb": value.DESCRIPTOR.full_name, "b": data}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if name not in _CLASSES:
            raise TypeError(f"cannot snapshot {name}")
        fields = {
            f.name: _encode(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _TRANSIENT_FIELDS
        }
        return {"$dc": name, **fields}
    if isinstance(value, set):
        return {"$set": sorted(_encode(v) for v in value)}
    if isinstance(value, dict):
        return {"$map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    raise TypeError(f"cannot snapshot value of type {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$pb" in value:
        cls = symbol_database.Default().GetSymbol(value["$pb"])
        message = cls()
        message.ParseFromString(base64.b64decode(value["b"]))
        return message
    if "$dc" in value:
        cls = _CLASSES[value["$dc"]]
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: _decode(v) for k, v in value.items() if k in known}
        return cls(**kwargs)
    if "$set" in value:
        return {_decode(v) for v in value["$set"]}
    if "$map" in value:
        return {_decode(k): _decode(v) for k, v in value["$map"]}
    raise ValueError(f"unknown snapshot object with keys {sorted(value)}")


def dump(state: MutableState) -> bytes:
    """The run's mutable state as bytes."""
    return json.dumps({"v": FORMAT_VERSION, "state": _encode(state)}, separators=(",", ":")).encode()


def load(data: bytes) -> MutableState:
    """A run's mutable state from `dump` output."""
    document = json.loads(data)
    if document.get("v", 0) > FORMAT_VERSION:
        raise ValueError(f"snapshot format {document.get('v')} is newer than this server understands")
    state = _decode(document["state"])
    if not isinstance(state, MutableState):
        raise ValueError("snapshot does not hold a workflow run")
    return state


def restore_into(state: MutableState, data: bytes) -> None:
    """Put a run back to an earlier `dump` of it, in place (whoever holds the run keeps it)."""
    saved = load(data)
    for f in dataclasses.fields(MutableState):
        if f.name not in _TRANSIENT_FIELDS:
            setattr(state, f.name, getattr(saved, f.name))
