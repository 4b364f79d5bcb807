"""What the visibility store keeps about each workflow run (`VisibilityRecord`), the types of
the fields a List Filter query names, and the errors a query gets.

Apart from the List Filter language itself (`devserver.list_filter`), which the server loads
with the first query: a server that is only started never needs the parser.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from temporalio.api.enums.v1 import WorkflowExecutionStatus

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class VisibilityRecord:
    """What the visibility store knows about one workflow run.

    Its start and close times are kept in its `list_rank` alone, and its execution time only
    when it differs from the start (a delayed start): 100,000 closed runs make three datetimes
    a record count. They are read back as UTC datetimes. A record is replaced, never changed.
    """

    __slots__ = (
        "_execution_micros",
        "history_length",
        "list_rank",
        "namespace",
        "run_id",
        "search_attributes",
        "status",
        "task_queue",
        "workflow_id",
        "workflow_type",
    )

    def __init__(
        self,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        workflow_type: str,
        task_queue: str,
        status: int,  # temporal.api.enums.v1.WorkflowExecutionStatus value
        start_time: datetime,  # a naive datetime is taken as UTC
        execution_time: datetime,
        close_time: datetime | None,
        history_length: int = 0,
        search_attributes: dict[str, Any] | None = None,
    ) -> None:
        start = micros(start_time)
        execution = start if execution_time is start_time else micros(execution_time)
        close = None if close_time is None else micros(close_time)
        self._set(namespace, workflow_id, run_id, workflow_type, task_queue, status, history_length, search_attributes)
        self._set_times(start, execution, close)

    @classmethod
    def of_micros(
        cls,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        workflow_type: str,
        task_queue: str,
        status: int,
        start: int,
        execution: int,
        close: int | None,
        history_length: int = 0,
        search_attributes: dict[str, Any] | None = None,
    ) -> VisibilityRecord:
        """A record whose times are given in microseconds since the epoch (no datetimes made)."""
        record = cls.__new__(cls)
        record._set(
            namespace, workflow_id, run_id, workflow_type, task_queue, status, history_length, search_attributes
        )
        record._set_times(start, execution, close)
        return record

    def _set(
        self,
        namespace: str,
        workflow_id: str,
        run_id: str,
        workflow_type: str,
        task_queue: str,
        status: int,
        history_length: int,
        search_attributes: dict[str, Any] | None,
    ) -> None:
        self.namespace = namespace
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.workflow_type = workflow_type
        self.task_queue = task_queue
        self.status = status
        self.history_length = history_length
        self.search_attributes = {} if search_attributes is None else search_attributes

    def _set_times(self, start: int, execution: int, close: int | None) -> None:
        # The default list order's rank: one int, computed once (visibility compares it whenever
        # it inserts or finds a record in its order).
        self.list_rank = rank_of_parts(close is None, 0 if close is None else close, start)
        self._execution_micros = None if execution == start else execution

    def replaced(
        self, status: int, close: int | None, history_length: int, search_attributes: dict[str, Any]
    ) -> VisibilityRecord:
        """The record of the same run (same ids, type, queue, start and execution times) with
        these status, close time, history length and attributes."""
        record = VisibilityRecord.__new__(VisibilityRecord)
        record.namespace = self.namespace
        record.workflow_id = self.workflow_id
        record.run_id = self.run_id
        record.workflow_type = self.workflow_type
        record.task_queue = self.task_queue
        record.status = status
        record.history_length = history_length
        record.search_attributes = search_attributes
        record.list_rank = rank_of_parts(close is None, 0 if close is None else close, self.start_micros)
        record._execution_micros = self._execution_micros
        return record

    @property
    def start_micros(self) -> int:
        """The start time in microseconds since the epoch."""
        return (self.list_rank & _RANK_MASK) - _RANK_OFFSET

    @property
    def close_micros(self) -> int | None:
        """The close time in microseconds since the epoch (None while the run is open)."""
        rank = self.list_rank
        return None if rank >> 126 else ((rank >> 63) & _RANK_MASK) - _RANK_OFFSET

    @property
    def execution_micros(self) -> int:
        execution = self._execution_micros
        return self.start_micros if execution is None else execution

    @property
    def start_time(self) -> datetime:
        return _utc_of_micros(self.start_micros)

    @property
    def close_time(self) -> datetime | None:
        close = self.close_micros
        return None if close is None else _utc_of_micros(close)

    @property
    def execution_time(self) -> datetime:
        return _utc_of_micros(self.execution_micros)

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VisibilityRecord) and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ("namespace", "workflow_id", "run_id", "workflow_type", "task_queue", "status")
        times = f"start_time={self.start_time!r}, close_time={self.close_time!r}"
        return f"VisibilityRecord({', '.join(f'{n}={getattr(self, n)!r}' for n in shown)}, {times})"


def _utc_of_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


class InvalidQueryError(ValueError):
    """A query or page token the server must reject with INVALID_ARGUMENT."""


class FieldType(Enum):
    """Search attribute types (Temporal's IndexedValueType) plus ExecutionStatus."""

    KEYWORD = "Keyword"
    TEXT = "Text"
    INT = "Int"
    DOUBLE = "Double"
    BOOL = "Bool"
    DATETIME = "Datetime"
    KEYWORD_LIST = "KeywordList"
    STATUS = "ExecutionStatus"


def _status_names() -> dict[str, int]:
    # 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW' -> 'ContinuedAsNew', the spelling the
    # server accepts (case-sensitive: the real server rejects 'terminated').
    prefix = "WORKFLOW_EXECUTION_STATUS_"
    return {
        "".join(part.capitalize() for part in name[len(prefix) :].split("_")): int(number)
        for name, number in WorkflowExecutionStatus.items()
    }


STATUS_NAMES: dict[str, int] = _status_names()


# Microseconds from the epoch, moved to be positive, fit 63 bits (datetimes stop at year 9999).
_RANK_OFFSET = 1 << 62
_RANK_MASK = (1 << 63) - 1


def rank_of_parts(is_open: bool, close: int, start: int) -> int:
    """A record's `list_rank`: Temporal's default list order, "CloseTime DESC NULLS FIRST,
    StartTime DESC", as one int that sorts the same (open runs above closed ones, then by
    close and start time; the times in microseconds since the epoch)."""
    if not (-_RANK_OFFSET <= close < _RANK_OFFSET and -_RANK_OFFSET <= start < _RANK_OFFSET):
        raise ValueError("a time out of range")
    return (is_open << 126) | ((close + _RANK_OFFSET) << 63) | (start + _RANK_OFFSET)


def rank_parts(rank: int) -> tuple[bool, int, int]:
    """(is_open, close micros, start micros) of a `list_rank`."""
    return bool(rank >> 126), ((rank >> 63) & _RANK_MASK) - _RANK_OFFSET, (rank & _RANK_MASK) - _RANK_OFFSET


def micros(value: datetime) -> int:
    """Microseconds since the epoch (a naive datetime taken as UTC)."""
    delta = as_utc(value) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def as_utc(value: datetime) -> datetime:
    # Naive datetimes are taken as UTC so comparing never raises TypeError.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def query_error(message: str, pos: int | None = None) -> InvalidQueryError:
    where = f" at position {pos}" if pos is not None else ""
    return InvalidQueryError(f"invalid query: {message}{where}")


_PY_TYPES: list[tuple[type, FieldType]] = [
    (bool, FieldType.BOOL), (int, FieldType.INT), (float, FieldType.DOUBLE),
    (datetime, FieldType.DATETIME), (str, FieldType.KEYWORD),
    (list, FieldType.KEYWORD_LIST), (tuple, FieldType.KEYWORD_LIST),
]  # fmt: skip


# The same, for a value of exactly one of those types (what decoded JSON is): found at once.
_EXACT_TYPES: dict[type, FieldType] = dict(_PY_TYPES)


def infer_type(value: Any) -> FieldType | None:
    """Type of a decoded search attribute value (bool before int: bool is an int)."""
    exact = _EXACT_TYPES.get(type(value))
    if exact is not None:
        return exact
    for kind, ftype in _PY_TYPES:
        if isinstance(value, kind):
            return ftype
    return None
