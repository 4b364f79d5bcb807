"""Payloads and failures must mean the same to Tempo and to the official SDK."""

from __future__ import annotations

import datetime
import enum
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import temporalio.exceptions as tx
from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.enums.v1 import RetryState as RetryStateProto
from temporalio.api.enums.v1 import TimeoutType as TimeoutTypeProto
from temporalio.api.failure.v1 import ApplicationFailureInfo, Failure
from temporalio.converter import DataConverter as TemporalConverter

from sdk import (
    ActivityError,
    ApplicationError,
    CancelledError,
    DataConverter,
    TerminatedError,
    TimeoutFailureError,
)
from sdk.converter import PayloadDecodeError
from sdk.exceptions import RetryState, TimeoutType

ours = DataConverter.default
theirs = TemporalConverter.default


class Size(enum.StrEnum):
    SMALL = "s"
    LARGE = "l"


class Colour(enum.Enum):
    """A plain Enum: we decode it by value; the official SDK only decodes Int/StrEnums."""

    RED = "red"
    BLUE = 3


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclass
class Line:
    sku: str
    size: Size
    quantity: int = 1


@dataclass
class Basket:
    owner: str
    lines: list[Line]
    placed_at: datetime.datetime
    priority: Priority = Priority.LOW
    coupon: str | None = None
    extras: dict[str, Line] = field(default_factory=dict)


BASKET = Basket(
    owner="ada",
    lines=[Line("tea", Size.SMALL, 2), Line("cake", Size.LARGE)],
    placed_at=datetime.datetime(2026, 11, 25, 15, 0, 30, 123000, tzinfo=datetime.UTC),
    priority=Priority.HIGH,
    extras={"gift": Line("card", Size.SMALL)},
)

# (value, type hint used to decode it back)
CASES: list[tuple[Any, Any]] = [
    (None, None),
    (b"\x00\xffraw", bytes),
    ("héllo ✓", str),
    (42, int),
    (2.5, float),
    (True, bool),
    ([1, "two", None, {"three": 3.0}], list[Any]),
    ({"b": 1, "a": [True, False]}, dict[str, Any]),
    (BASKET, Basket),
    ([Line("x", Size.LARGE, 3)], list[Line]),
    ({"first": Line("y", Size.SMALL)}, dict[str, Line]),
    (Size.LARGE, Size),
    (uuid.UUID("12345678-1234-5678-1234-567812345678"), uuid.UUID),
    (WorkflowExecution(workflow_id="wf", run_id="run"), WorkflowExecution),
]


@pytest.mark.parametrize(("value", "hint"), CASES, ids=lambda v: type(v).__name__)
def test_official_sdk_decodes_our_payloads(value: Any, hint: Any) -> None:
    payload = ours.to_payload(value)
    assert theirs.payload_converter.from_payloads([payload], [hint])[0] == value
    # Same bytes, too: equal values must give equal payloads across SDKs.
    assert payload == theirs.payload_converter.to_payloads([value])[0]


@pytest.mark.parametrize(("value", "hint"), CASES, ids=lambda v: type(v).__name__)
def test_we_decode_official_sdk_payloads(value: Any, hint: Any) -> None:
    payload = theirs.payload_converter.to_payloads([value])[0]
    assert ours.from_payload(payload, hint) == value


def test_encoding_metadata_is_what_temporal_expects() -> None:
    encodings = [p.metadata["encoding"] for p in ours.to_payloads([None, b"x", {"a": 1}])]
    assert encodings == [b"binary/null", b"binary/plain", b"json/plain"]
    proto = ours.to_payload(WorkflowExecution(workflow_id="w"))
    assert proto.metadata["encoding"] == b"json/protobuf"
    assert proto.metadata["messageType"] == b"temporal.api.common.v1.WorkflowExecution"


def test_without_hint_json_comes_back_as_plain_values() -> None:
    assert ours.from_payload(ours.to_payload(BASKET))["lines"][0] == {
        "sku": "tea",
        "size": "s",
        "quantity": 2,
    }


def test_optional_hint_accepts_null_and_value() -> None:
    assert ours.from_payload(ours.to_payload(None), Line | None) is None
    assert ours.from_payload(ours.to_payload(Line("z", Size.SMALL)), Line | None) == Line("z", Size.SMALL)


def test_from_payloads_uses_positional_hints() -> None:
    payloads = ours.to_payloads([Line("a", Size.SMALL), Line("b", Size.LARGE)])
    decoded = ours.from_payloads(payloads, [Line])
    assert decoded[0] == Line("a", Size.SMALL)
    assert decoded[1] == {"sku": "b", "size": "l", "quantity": 1}


def test_plain_enums_and_dates_round_trip_through_us() -> None:
    assert ours.from_payload(ours.to_payload([Colour.RED, Colour.BLUE]), list[Colour]) == [
        Colour.RED,
        Colour.BLUE,
    ]
    day = datetime.date(2026, 11, 25)
    assert ours.from_payload(ours.to_payload(day), datetime.date) == day
    assert ours.from_payload(ours.to_payload({1: "a"}), dict[int, str]) == {1: "a"}
    assert ours.from_payload(ours.to_payload((1, "b")), tuple[int, str]) == (1, "b")


def test_unencodable_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot convert object"):
        ours.to_payload(object())


@pytest.mark.parametrize(
    ("payload", "hint", "message"),
    [
        (
            Payload(metadata={"encoding": b"binary/gzip"}, data=b"x"),
            None,
            "unknown payload encoding",
        ),
        (Payload(metadata={"encoding": b"json/plain"}, data=b"{nope"), None, "not valid JSON"),
        (Payload(metadata={"encoding": b"json/plain"}, data=b'"text"'), int, "does not fit int"),
        (Payload(metadata={"encoding": b"json/plain"}, data=b"[1]"), Line, "does not fit Line"),
        (
            Payload(metadata={"encoding": b"json/protobuf", "messageType": b"no.Such"}, data=b"{}"),
            None,
            "unknown protobuf message type",
        ),
    ],
)
def test_bad_payloads_fail_clearly(payload: Payload, hint: Any, message: str) -> None:
    with pytest.raises(PayloadDecodeError, match=message):
        ours.from_payload(payload, hint)


def _theirs_to_failure(exc: BaseException) -> Failure:
    failure = Failure()
    theirs.failure_converter.to_failure(exc, theirs.payload_converter, failure)
    return failure


def _theirs_from_failure(failure: Failure) -> BaseException:
    return theirs.failure_converter.from_failure(failure, theirs.payload_converter)


def test_application_error_reaches_the_official_sdk() -> None:
    try:
        try:
            raise KeyError("sku-9")
        except KeyError as err:
            raise ApplicationError("no such sku", {"sku": 9}, type="Missing", non_retryable=True) from err
    except ApplicationError as exc:
        failure = ours.to_failure(exc)
    assert "test_converter.py" in failure.stack_trace
    converted = _theirs_from_failure(failure)
    assert isinstance(converted, tx.ApplicationError)
    assert (converted.message, converted.type, converted.non_retryable) == (
        "no such sku",
        "Missing",
        True,
    )
    assert list(converted.details) == [{"sku": 9}]
    # A plain Python exception travels as an application error named after its class.
    assert isinstance(converted.cause, tx.ApplicationError)
    assert converted.cause.type == "KeyError"


def test_official_activity_failure_chain_reaches_us() -> None:
    cause = tx.ApplicationError("card declined", "detail", type="Payment")
    activity_error = tx.ActivityError(
        "Activity task failed",
        scheduled_event_id=5,
        started_event_id=6,
        identity="worker-1",
        activity_type="charge",
        activity_id="1",
        retry_state=tx.RetryState.MAXIMUM_ATTEMPTS_REACHED,
    )
    activity_error.__cause__ = cause
    converted = ours.from_failure(_theirs_to_failure(activity_error))
    assert isinstance(converted, ActivityError)
    assert (converted.activity_type, converted.activity_id) == ("charge", "1")
    assert (converted.scheduled_event_id, converted.started_event_id) == (5, 6)
    assert converted.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED
    assert isinstance(converted.cause, ApplicationError)
    assert converted.cause.type == "Payment"
    assert list(converted.cause.details) == ["detail"]


@pytest.mark.parametrize(
    ("exc", "their_type"),
    [
        (CancelledError("stop now", "why"), tx.CancelledError),
        (TerminatedError("killed"), tx.TerminatedError),
        (TimeoutFailureError("too slow", TimeoutType.HEARTBEAT, ["beat"]), tx.TimeoutError),
        (ValueError("plain"), tx.ApplicationError),
    ],
)
def test_failures_round_trip_both_ways(exc: BaseException, their_type: type) -> None:
    there = _theirs_from_failure(ours.to_failure(exc))
    assert isinstance(there, their_type)
    assert there.message == str(exc)  # type: ignore[attr-defined]
    back = ours.from_failure(_theirs_to_failure(there))
    expected = ApplicationError if isinstance(exc, ValueError) else type(exc)
    assert isinstance(back, expected)
    assert str(back) == str(exc)


def test_timeout_and_retry_enums_match_the_protos() -> None:
    assert {t.name: t.value for t in TimeoutType} == {
        k.removeprefix("TIMEOUT_TYPE_"): v for k, v in TimeoutTypeProto.items()
    }
    assert {r.name: r.value for r in RetryState} == {
        k.removeprefix("RETRY_STATE_"): v for k, v in RetryStateProto.items()
    }


def test_encoded_attributes_are_unwrapped() -> None:
    failure = Failure(message="Encoded failure", application_failure_info=ApplicationFailureInfo(type="X"))
    failure.encoded_attributes.CopyFrom(ours.to_payload({"message": "the real message", "stack_trace": "at line 1"}))
    exc = ours.from_failure(failure)
    assert str(exc) == "the real message"
    assert isinstance(exc, ApplicationError) and exc.stack_trace == "at line 1"


class OutOfStock(ApplicationError):
    pass


def test_application_error_type_defaults() -> None:
    # A bare ApplicationError carries no type, as in the official SDK...
    bare = _theirs_from_failure(ours.to_failure(ApplicationError("plain")))
    assert isinstance(bare, tx.ApplicationError) and bare.type is None
    # ...while a subclass is named after itself, so callers can match on it.
    assert ours.to_failure(OutOfStock("gone")).application_failure_info.type == "OutOfStock"
