"""Mutable state to bytes and back, for storage.

The encoding is JSON: dataclasses become objects tagged with their class
name, protobuf messages their serialized bytes (base64) tagged with the full
message name, lifecycle states their name tagged with the enum's. A field holding
its default is left out, and read back as it. Fields added to a dataclass later
simply take their default when an older snapshot is read, so adding state needs
no migration; a field that changes meaning bumps `FORMAT_VERSION` and gets an
upgrade in `_UPGRADES`, so files written by older servers keep loading. A
changed default is a changed meaning: a snapshot that left the field out meant
the old one (an upgrade puts it in).

The memory store's closed runs never leave the process: theirs is the same document in
`marshal`'s encoding (`dump_in_process`), quicker to write than JSON.

Format versions:
1. the first.
2. lifecycle states (core.lifecycles) replace flags: `WorkflowTask.started`,
   `ActivityInfo.started` (and its waiting kinds), `UpdateInfo.stage`/`aborted`
   become `state`; `ChildInfo` and `TimerInfo` gain one.
3. an activity's flags fold into its lifecycle states: `paused` into the state (paused while
   an attempt runs is PAUSE_REQUESTED), `cancel_requested` into `cancel_request`, and
   `reset_requested`/`reset_heartbeats` into `reset_request`; an accepted update its run
   closed on (COMPLETED with the server's AcceptedUpdateCompletedWorkflow failure) is
   UNFINISHED.

The transitions an entity went through (`transitions_taken`, for IllegalTransition's
message) are not stored: a loaded entity's list starts from the state it was loaded in.
"""

from __future__ import annotations

import binascii
import dataclasses
import functools
import json
import marshal
import math
from collections.abc import Callable, Collection, Mapping
from enum import Enum
from typing import Any

from google.protobuf.message import Message

from devserver.core.activities import ActivityInfo
from devserver.core.changes import RunKey
from devserver.core.lifecycles import (
    ActivityState,
    CancelRequest,
    ChildState,
    ResetRequest,
    TimerState,
    UpdateState,
    WorkflowPauseState,
    WorkflowTaskState,
)
from devserver.core.mutable_state import (
    UPDATE_ACCEPTED,
    UPDATE_COMPLETED,
    ChildInfo,
    MutableState,
    TimerInfo,
    UpdateInfo,
    WorkflowPause,
    WorkflowTask,
)
from devserver.core.time_skipping import TimeSkippingState

FORMAT_VERSION = 3

_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        MutableState,
        WorkflowTask,
        TimerInfo,
        ActivityInfo,
        RunKey,
        ChildInfo,
        UpdateInfo,
        TimeSkippingState,
        WorkflowPause,
    )
}
_ENUMS: dict[str, type[Enum]] = {
    cls.__name__: cls
    for cls in (
        WorkflowTaskState,
        ActivityState,
        CancelRequest,
        ResetRequest,
        TimerState,
        ChildState,
        UpdateState,
        WorkflowPauseState,
    )
}
# State that only lives as long as the process: callers waiting on queries are gone after a
# restart; an entity's transitions are only for the message of an IllegalTransition.
_TRANSIENT_FIELDS = {"buffered_queries", "legacy_queries", "transitions_taken"}


@functools.cache
def _kept_fields(cls: type) -> tuple[tuple[str, type | None, Any], ...]:
    """The fields of a dataclass a snapshot keeps, in order (every run at rest is snapshotted:
    `dataclasses.fields` made its list again for each object), each with its default and the
    default's type (None for a field without one). A field holding its default is left out of
    the snapshot, and read back as the default: most of a closed run's fields hold theirs. A
    default made by a factory is made once here, only to compare with (never handed out)."""
    if _is_record(cls):  # a NamedTuple (RunKey): its fields, none of them left out
        return tuple((name, None, None) for name in cls._fields)  # type: ignore[attr-defined]
    kept: list[tuple[str, type | None, Any]] = []
    for f in dataclasses.fields(cls):
        if f.name in _TRANSIENT_FIELDS:
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            kept.append((f.name, None, None))
            continue
        kept.append((f.name, type(default), default))
    return tuple(kept)


def _encode(value: Any, leave_out: Collection[str] = ()) -> Any:
    cls: type = type(value)
    kind = _KINDS.get(cls) or _kind_of(cls)
    if kind == "plain":
        return value
    if kind == "plain subclass":  # an IntEnum, say: the int it is (marshal takes exact types only)
        return _PLAIN_OF[cls](value)
    if kind == "dataclass":
        name = cls.__name__
        if name not in _CLASSES:
            raise TypeError(f"cannot snapshot {name}")
        encoded: dict[str, Any] = {"$dc": name}
        for field, default_type, default in _kept_fields(cls):
            if field in leave_out:
                continue
            field_value = getattr(value, field)
            field_type = type(field_value)
            if (
                field_type is default_type
                and field_value == default
                # -0.0 equals a default of 0.0 but is not it (all else equal to its default is it)
                and (field_type is not float or math.copysign(1.0, field_value) == math.copysign(1.0, default))
            ):
                continue
            encoded[field] = field_value if field_type in _PLAIN else _encode(field_value)
        return encoded
    if kind == "message":
        data = binascii.b2a_base64(value.SerializeToString(deterministic=True), newline=False).decode()
        return {"$pb": value.DESCRIPTOR.full_name, "b": data}
    if kind == "list":
        return [_encode(v) for v in value]
    if kind == "map":
        return {"$map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if kind == "enum":
        return {"$enum": type(value).__name__, "v": value.name}
    if kind == "set":
        return {"$set": sorted(_encode(v) for v in value)}
    raise TypeError(f"cannot snapshot value of type {type(value).__name__}")


def _kind_of(cls: type) -> str:
    """How `_encode` writes a value of ``cls`` (tested in this order: an IntEnum is a plain
    subclass, written as an int); kept per class, since every run at rest is snapshotted."""
    if cls in _PLAIN:
        kind = "plain"
    elif issubclass(cls, int | float | str):
        kind = "plain subclass"
        _PLAIN_OF[cls] = next(convert for base, convert in _PLAIN_CONVERTERS if issubclass(cls, base))
    elif issubclass(cls, Enum):
        kind = "enum"
    elif issubclass(cls, Message):
        kind = "message"
    elif (dataclasses.is_dataclass(cls) and not issubclass(cls, type)) or _is_record(cls):
        kind = "dataclass"  # a NamedTuple is written as a dataclass is, by field name
    elif issubclass(cls, set):
        kind = "set"
    elif issubclass(cls, dict):
        kind = "map"
    elif issubclass(cls, list | tuple):
        kind = "list"
    else:
        kind = "unknown"
    _KINDS[cls] = kind
    return kind


_KINDS: dict[type, str] = {}
# The plain value of an instance of a subclass of int, float or str (by its class), and the
# converters to pick it from (bool cannot be subclassed).
_PLAIN_OF: dict[type, Callable[[Any], Any]] = {}
_PLAIN_CONVERTERS: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (int, int.__int__),
    (float, float.__float__),
    (str, str.__str__),
)


def _is_record(cls: type) -> bool:
    """A NamedTuple class."""
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


# Field values written as they are, by exact type (an IntEnum, say, goes through `_encode`).
_PLAIN = frozenset({type(None), bool, int, float, str})


def _decoder(version: int, given: Mapping[str, Any]) -> Callable[[dict[str, Any]], Any]:
    """The `json.loads` object hook that turns the tagged objects of a snapshot written in
    format ``version`` back into values. JSON hands each object over after its members, so
    every value it sees is decoded already. ``given`` fills the run's fields left out."""
    upgrades = [_UPGRADES[v] for v in range(version, FORMAT_VERSION)]

    def decode(value: dict[str, Any]) -> Any:
        name = value.get("$dc")
        if name is not None:
            cls, known = _dataclass(name)
            del value["$dc"]
            if cls is MutableState:
                for field_name, field_value in given.items():
                    value.setdefault(field_name, field_value)
            for upgrade_for in upgrades:
                upgrade = upgrade_for.get(name)
                if upgrade is not None:
                    upgrade(value)
            if not known.issuperset(value):  # fields a later server no longer has
                value = {k: v for k, v in value.items() if k in known}
            return cls(**value)
        full_name = value.get("$pb")
        if full_name is not None:
            message = _message_class(full_name)()
            message.ParseFromString(binascii.a2b_base64(value["b"]))
            return message
        enum_name = value.get("$enum")
        if enum_name is not None:
            return _ENUMS[enum_name][value["v"]]
        if "$set" in value:
            return set(value["$set"]) if value["$set"] else set()
        if "$map" in value:
            return {k: v for k, v in value["$map"]}
        if value.keys() <= _DOCUMENT_KEYS:
            return value  # the document itself: {"v": version, "state": ...}
        raise ValueError(f"unknown snapshot object with keys {sorted(value)}")

    return decode


@functools.cache
def _dataclass(name: str) -> tuple[type[Any], frozenset[str]]:
    cls = _CLASSES[name]
    if _is_record(cls):
        return cls, frozenset(cls._fields)
    return cls, frozenset(f.name for f in dataclasses.fields(cls))


@functools.cache
def _message_class(full_name: str) -> type[Message]:
    # From the pool, not the symbol database: `tempo` makes message classes when first used
    # (tempo_cli._proto_cache), without registering them there. protobuf's Python layers load
    # here, with the first restore, not with every server's start.
    from google.protobuf import descriptor_pool, message_factory

    cls: type[Message] = message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(full_name))
    return cls


# ---- upgrades: format version -> class name -> what turns its fields into the next version's ----


def _workflow_task_v1(fields: dict[str, Any]) -> None:
    started = fields.pop("started", False)
    fields["state"] = WorkflowTaskState.STARTED if started else WorkflowTaskState.SCHEDULED


def _activity_v1(fields: dict[str, Any]) -> None:
    if fields.pop("started", False):
        fields["state"] = ActivityState.STARTED
    elif fields.get("paused"):
        fields["state"] = ActivityState.PAUSED
    elif fields.get("next_attempt_time"):
        fields["state"] = ActivityState.BACKING_OFF
    else:
        fields["state"] = ActivityState.SCHEDULED


def _child_v1(fields: dict[str, Any]) -> None:
    fields["state"] = ChildState.STARTED if fields.get("run_id") else ChildState.INITIATED


def _update_v1(fields: dict[str, Any]) -> None:
    stage = fields.pop("stage", 0)
    if fields.pop("aborted", False):
        fields["state"] = UpdateState.ABORTED
    elif stage == UPDATE_COMPLETED:
        fields["state"] = UpdateState.COMPLETED
    elif stage == UPDATE_ACCEPTED:
        fields["state"] = UpdateState.ACCEPTED
    else:
        fields["state"] = UpdateState.ADMITTED


def _activity_v2(fields: dict[str, Any]) -> None:
    if fields.pop("paused", False):
        # Paused while an attempt ran; or held, waiting for the unpause (format 2 could also
        # leave a paused activity backing off or queued, when its attempt timed out after a
        # cancel request: format 3 holds it, paused, as it does any paused activity's retry).
        running = fields.get("state") is ActivityState.STARTED
        fields["state"] = ActivityState.PAUSE_REQUESTED if running else ActivityState.PAUSED
    if fields.pop("cancel_requested", False):
        fields["cancel_request"] = CancelRequest.REQUESTED
    drop_heartbeats = fields.pop("reset_heartbeats", False)
    if fields.pop("reset_requested", False):
        fields["reset_request"] = ResetRequest.REQUESTED_DROP_HEARTBEATS if drop_heartbeats else ResetRequest.REQUESTED


def _update_v2(fields: dict[str, Any]) -> None:
    # An accepted update its run closed on was COMPLETED with the server's failure; it is
    # UNFINISHED now (update-with-start must not attach to it).
    outcome = fields.get("outcome")
    failure = outcome.failure if outcome is not None and outcome.HasField("failure") else None
    if (
        fields.get("state") is UpdateState.COMPLETED
        and failure is not None
        and failure.source == "Server"
        and failure.application_failure_info.type == "AcceptedUpdateCompletedWorkflow"
    ):
        fields["state"] = UpdateState.UNFINISHED


_UPGRADES: dict[int, dict[str, Callable[[dict[str, Any]], None]]] = {
    1: {
        "WorkflowTask": _workflow_task_v1,
        "ActivityInfo": _activity_v1,
        "ChildInfo": _child_v1,
        "UpdateInfo": _update_v1,
    },
    2: {"ActivityInfo": _activity_v2, "UpdateInfo": _update_v2},
}


def dump(state: MutableState, leave_out: Collection[str] = ()) -> bytes:
    """The run's mutable state as bytes, without the fields named in ``leave_out`` (whoever
    loads it gives them back: a store that keeps them elsewhere anyway)."""
    encoded = _encode(state, leave_out)
    return _JSON_ENCODER.encode({"v": FORMAT_VERSION, "state": encoded}).encode()


def dump_in_process(state: MutableState, leave_out: Collection[str] = ()) -> bytes:
    """The document `dump` writes, in `marshal`'s encoding instead of JSON (which takes five
    times as long to write it): for bytes that never leave the process, the memory store's
    runs at rest. Only `load_in_process` reads them, in the same server."""
    return marshal.dumps(_encode(state, leave_out))


def load_in_process(data: bytes, given: Mapping[str, Any] | None = None) -> MutableState:
    """A run's mutable state from `dump_in_process` output; ``given`` as for `load`."""
    state = _decoded(marshal.loads(data), _decoder(FORMAT_VERSION, given or {}))
    if not isinstance(state, MutableState):
        raise ValueError("snapshot does not hold a workflow run")
    return state


def _decoded(value: Any, decode: Callable[[dict[str, Any]], Any]) -> Any:
    """What `json.loads` makes of ``value`` read as JSON with ``decode`` as its object hook:
    every object (dict) decoded after its members."""
    value_type = type(value)
    if value_type is dict:
        return decode({key: _decoded(member, decode) for key, member in value.items()})
    if value_type is list:
        return [_decoded(item, decode) for item in value]
    return value


# Made once (`json.dumps` makes one for every call given its own separators).
_JSON_ENCODER = json.JSONEncoder(separators=(",", ":"))


def load(data: bytes, given: Mapping[str, Any] | None = None) -> MutableState:
    """A run's mutable state from `dump` output; ``given`` holds the values of the fields
    `dump` left out (a field the snapshot has keeps its own)."""
    version = _version(data)
    if version > FORMAT_VERSION:
        raise ValueError(f"snapshot format {version} is newer than this server understands")
    state = json.loads(data, object_hook=_decoder(max(version, 1), given or {}))["state"]
    if not isinstance(state, MutableState):
        raise ValueError("snapshot does not hold a workflow run")
    return state


def _version(data: bytes) -> int:
    """The format version a snapshot says it is in (`dump` writes it first)."""
    head = data[: len(_VERSION_PREFIX) + 4]
    if head.startswith(_VERSION_PREFIX):
        digits = head[len(_VERSION_PREFIX) :].split(b",", 1)[0]
        if digits.isdigit():
            return int(digits)
    version = json.loads(data).get("v", 0)  # written some other way: read it properly
    return version if isinstance(version, int) else 0


_VERSION_PREFIX = b'{"v":'
_DOCUMENT_KEYS = frozenset({"v", "state"})


def restore_into(state: MutableState, data: bytes) -> None:
    """Put a run back to an earlier `dump` of it, in place (whoever holds the run keeps it)."""
    saved = load(data)
    for f in dataclasses.fields(MutableState):
        if f.name not in _TRANSIENT_FIELDS:
            setattr(state, f.name, getattr(saved, f.name))
