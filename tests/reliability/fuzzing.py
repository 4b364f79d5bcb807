"""Fuzzing the server's RPCs: hypothesis strategies built from the request messages' protobuf
descriptors, raw garbage bytes, and the judgement of what the server answers.

Shared by `tests/reliability/test_fuzz.py` (bounded, reproducible, in CI) and
`bench/fuzz_rpcs.py` (many examples per RPC, both servers side by side).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st
from temporalio.api.operatorservice.v1 import service_pb2 as operator_service
from temporalio.api.workflowservice.v1 import service_pb2 as workflow_service

WORKFLOW_SERVICE = workflow_service.DESCRIPTOR.services_by_name["WorkflowService"]
OPERATOR_SERVICE = operator_service.DESCRIPTOR.services_by_name["OperatorService"]

# Calls that may wait for something to happen (a task, an answer, an event): the real server's
# long-running requests. Only these may end at the caller's deadline.
LONG_RUNNING = frozenset(
    {
        "PollActivityTaskQueue",
        "PollWorkflowTaskQueue",
        "PollNexusTaskQueue",
        "PollWorkflowExecutionUpdate",
        "QueryWorkflow",
        "UpdateWorkflowExecution",
        "ExecuteMultiOperation",
        "GetWorkflowExecutionHistory",
    }
)

# What the real server answers for a client's bad input; anything else (UNKNOWN, INTERNAL,
# UNAVAILABLE, CANCELLED, DATA_LOSS) is a server fault.
CLIENT_ERROR_CODES = frozenset(
    {
        grpc.StatusCode.OK,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.UNIMPLEMENTED,
    }
)

FUZZ_NAMESPACE = "fuzz"


def implemented_methods(service: Any, servicer: type) -> list[MethodDescriptor]:
    """The methods of `service` that `servicer` handles (not the UNIMPLEMENTED fill-ins)."""
    return [m for m in service.methods if getattr(servicer.__dict__.get(m.name), "__wrapped__", None) is not None]


@dataclass
class Targets:
    """Names that exist on the server, so generated requests reach past the first lookup."""

    namespaces: list[str] = field(default_factory=lambda: [FUZZ_NAMESPACE])
    workflow_ids: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    task_queues: list[str] = field(default_factory=list)


_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}


def _integers(lo: int, hi: int) -> st.SearchStrategy[int]:
    edges = [v for v in (lo, hi, -1, 0, 1, 2, 1000, 10**9) if lo <= v <= hi]
    plausible = st.integers(max(lo, 0), min(hi, 100))
    return st.one_of(plausible, plausible, st.sampled_from(edges), st.integers(lo, hi))


def _text() -> st.SearchStrategy[str]:
    short = st.text(max_size=12)
    return st.one_of(
        st.just(""),
        short,
        short,
        st.sampled_from(["x" * 1001, "é" * 300, "\x00", "💥", " ", "a/b", "$$$", "default"]),
    )


class StrategyBuilder:
    """Hypothesis strategies for protobuf messages, built from their descriptors."""

    def __init__(self, targets: Targets, max_depth: int = 4) -> None:
        self.targets = targets
        self.max_depth = max_depth
        self._cache: dict[tuple[str, int], st.SearchStrategy[Message]] = {}

    def request(self, method: MethodDescriptor) -> st.SearchStrategy[Message]:
        return self.message(method.input_type, 0)

    def message(self, descriptor: Descriptor, depth: int) -> st.SearchStrategy[Message]:
        key = (descriptor.full_name, depth)
        if key not in self._cache:
            self._cache[key] = self._message(descriptor, depth)
        return self._cache[key]

    def _message(self, descriptor: Descriptor, depth: int) -> st.SearchStrategy[Message]:
        cls = message_factory.GetMessageClass(descriptor)
        special = self._well_known(descriptor)
        if special is not None:
            return special
        if depth >= self.max_depth:
            return st.builds(cls)
        fields = {f.name: self._field(f, depth) for f in descriptor.fields}
        return st.fixed_dictionaries({}, optional=fields).map(lambda values: _build(cls, values))

    def _well_known(self, descriptor: Descriptor) -> st.SearchStrategy[Message] | None:
        cls = message_factory.GetMessageClass(descriptor)
        name = descriptor.full_name
        if name in ("google.protobuf.Duration", "google.protobuf.Timestamp"):
            # Includes values outside the types' documented ranges, which the wire allows.
            return st.builds(
                cls,
                seconds=_integers(-(2**63), 2**63 - 1),
                nanos=st.one_of(st.just(0), st.just(0), _integers(-(2**31), 2**31 - 1)),
            )
        if name == "google.protobuf.Any":
            return st.builds(
                cls,
                type_url=st.sampled_from(
                    ["", "type.googleapis.com/temporal.api.update.v1.Request", "type.googleapis.com/nope"]
                ),
                value=st.binary(max_size=32),
            )
        if name == "google.protobuf.FieldMask":
            return st.builds(cls, paths=st.lists(_text(), max_size=3))
        return None

    def _field(self, f: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            key_field = f.message_type.fields_by_name["key"]
            value_field = f.message_type.fields_by_name["value"]
            return st.dictionaries(self._single(key_field, depth), self._single(value_field, depth + 1), max_size=2)
        single = self._single(f, depth)
        if f.is_repeated:
            return st.lists(single, max_size=3)
        return single

    def _single(self, f: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        t = f.type
        if t == FieldDescriptor.TYPE_MESSAGE:
            assert f.message_type is not None
            return self.message(f.message_type, depth + 1)
        if t == FieldDescriptor.TYPE_ENUM:
            assert f.enum_type is not None
            values = [v.number for v in f.enum_type.values]
            return st.one_of(st.sampled_from(values), st.sampled_from([-1, 99, 2**31 - 1]))
        if t == FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        if t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return st.one_of(st.floats(allow_nan=True), st.sampled_from([0.0, -1.0, math.inf, 1e308]))
        if t == FieldDescriptor.TYPE_STRING:
            return self._string(f.name)
        if t == FieldDescriptor.TYPE_BYTES:
            return st.one_of(st.binary(max_size=48), st.sampled_from([b"", b"\x00" * 40, b"{}", b"e30="]))
        lo, hi = _INT_RANGES[t]
        return _integers(lo, hi)

    def _string(self, name: str) -> st.SearchStrategy[str]:
        known: list[str] = []
        if name == "namespace":
            known = self.targets.namespaces
        elif name in ("workflow_id", "id"):
            known = self.targets.workflow_ids
        elif name in ("run_id", "first_execution_run_id"):
            known = self.targets.run_ids
        elif name in ("name", "task_queue", "normal_name"):
            known = self.targets.task_queues
        if known:
            return st.one_of(st.sampled_from(known), st.sampled_from(known), _text())
        return _text()


def _build(cls: type[Message], values: dict[str, Any]) -> Message:
    message = cls()
    for name, value in values.items():
        target = getattr(message, name)
        if isinstance(value, Message):
            target.CopyFrom(value)
        elif isinstance(value, list):
            if value and isinstance(value[0], Message):
                target.extend(value)
            else:
                target.extend(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, Message):
                    target[key].CopyFrom(item)
                else:
                    target[key] = item
        else:
            setattr(message, name, value)
    return message


def garbage() -> st.SearchStrategy[bytes]:
    """Bytes that are mostly not a valid message of any kind."""
    return st.one_of(
        st.binary(min_size=1, max_size=64),
        st.sampled_from(
            [
                b"\xff" * 16,  # a field number of 0 and truncated varints
                b"\x0a\xff\xff\xff\xff\x0f",  # a length far past the end
                b"\x0a\x05ab",  # a string cut short
                b"\x0a\x02\xc3\x28",  # invalid UTF-8 in a string field
                b"\x0b\x0c",  # group tags
                b"\x07",  # wire type 7 does not exist
                b"\x0a" * 200,  # nesting without end
            ]
        ),
    )


def call_raw(
    channel: grpc.Channel, service: str, method: str, payload: bytes, timeout: float
) -> tuple[grpc.StatusCode, str]:
    """Send `payload` as the request of `/service/method`; the status code and message."""
    stub: Callable[..., Any] = channel.unary_unary(f"/{service}/{method}")
    try:
        stub(payload, timeout=timeout)
    except grpc.RpcError as error:
        return error.code(), error.details() or ""  # type: ignore[attr-defined]
    return grpc.StatusCode.OK, ""


def acceptable(method: str, code: grpc.StatusCode) -> bool:
    """A code the server may answer a client's (possibly bad) request with."""
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return method in LONG_RUNNING
    return code in CLIENT_ERROR_CODES


def deadline_for(method: str) -> float:
    """Long polls get a deadline so short that they answer at once; any other call gets 15 s:
    taking longer than that is a hang."""
    return 0.5 if method in LONG_RUNNING else 15.0


def commands(builder: StrategyBuilder) -> st.SearchStrategy[list[Message]]:
    """Worker commands whose type matches their attributes, with generated attributes."""
    from temporalio.api.command.v1 import message_pb2 as command_pb
    from temporalio.api.enums.v1 import command_type_pb2

    descriptor = command_pb.Command.DESCRIPTOR
    choices = []
    for f in descriptor.oneofs_by_name["attributes"].fields:
        type_name = "COMMAND_TYPE_" + f.name.removesuffix("_command_attributes").upper()
        if type_name in command_type_pb2.CommandType.DESCRIPTOR.values_by_name and f.message_type is not None:
            choices.append((f.name, command_type_pb2.CommandType.Value(type_name), builder.message(f.message_type, 1)))

    def one(choice: tuple[str, int, st.SearchStrategy[Message]]) -> st.SearchStrategy[Message]:
        name, command_type, attributes = choice
        return attributes.map(
            lambda value: command_pb.Command(command_type=command_type, **{name: value})  # type: ignore[arg-type]
        )

    return st.lists(st.sampled_from(choices).flatmap(one), max_size=4)
