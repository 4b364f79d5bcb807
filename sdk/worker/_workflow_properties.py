"""A run's ``workflow.info()``, search attributes and memo, as workflow code sees and changes them.

They start as the start event recorded them; ``upsert_search_attributes`` and ``upsert_memo``
change them at once (``workflow.info()`` shows the change) and send the
UpsertWorkflowSearchAttributes / ModifyWorkflowProperties command the official SDK sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2
from temporalio.api.history.v1 import message_pb2 as history

from sdk._client_types import RetryPolicy
from sdk._workflow_context import Info, ParentInfo, RootInfo
from sdk.common import SearchAttributeUpdate, TypedSearchAttributes, decode_typed, decode_untyped, encode_updates
from sdk.converter import DataConverter

CommandType = command_type_pb2.CommandType


class WorkflowProperties:
    """The current search attributes and memo of one run."""

    def __init__(self, converter: DataConverter, add_command: Callable[[command_pb.Command], None]) -> None:
        self._converter = converter
        self._add_command = add_command
        self._search_attributes = common.SearchAttributes()
        self._memo: dict[str, common.Payload] = {}
        self._start = history.WorkflowExecutionStartedEventAttributes()
        self.version = 0
        """Grows with every change, so a cached ``Info`` knows it is stale."""

    def start(self, attrs: history.WorkflowExecutionStartedEventAttributes) -> None:
        """Take the values the start event recorded."""
        self._start = attrs
        self._search_attributes.CopyFrom(attrs.search_attributes)
        self._memo = dict(attrs.memo.fields)
        self.version += 1

    def last_completion_result(self, type_hint: Any) -> tuple[bool, Any]:
        """Whether the previous run (of a cron chain) left a result, and that result."""
        if not self._start.last_completion_result.payloads:
            return False, None
        return True, self._converter.from_payload(self._start.last_completion_result.payloads[0], type_hint)

    def last_failure(self) -> BaseException | None:
        """The failure of the previous run or attempt, if the start event carries one."""
        if not self._start.HasField("continued_failure"):
            return None
        return self._converter.from_failure(self._start.continued_failure)

    def upsert_search_attributes(self, updates: Sequence[SearchAttributeUpdate[Any]]) -> None:
        encoded = encode_updates(updates)
        if not encoded.indexed_fields:
            return
        self._add_command(
            command_pb.Command(
                command_type=CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
                upsert_workflow_search_attributes_command_attributes=(
                    command_pb.UpsertWorkflowSearchAttributesCommandAttributes(search_attributes=encoded)
                ),
            )
        )
        for name, payload in encoded.indexed_fields.items():
            if payload.metadata.get("encoding") == b"binary/null":
                self._search_attributes.indexed_fields.pop(name, None)
            else:
                self._search_attributes.indexed_fields[name].CopyFrom(payload)
        self.version += 1

    def upsert_memo(self, updates: Mapping[str, Any]) -> None:
        # Encode everything first: a value that cannot be serialised leaves no half command.
        try:
            fields = {key: self._converter.to_payload(value) for key, value in updates.items()}
        except TypeError as err:
            raise TypeError(f"cannot serialise a memo value: {err}") from None
        if not fields:
            return
        self._add_command(
            command_pb.Command(
                command_type=CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
                modify_workflow_properties_command_attributes=command_pb.ModifyWorkflowPropertiesCommandAttributes(
                    upserted_memo=common.Memo(fields=fields)
                ),
            )
        )
        for key, value in updates.items():
            if value is None:
                self._memo.pop(key, None)
            else:
                self._memo[key] = fields[key]
        self.version += 1

    def memo_keys(self) -> list[str]:
        return sorted(self._memo)

    def memo_value(self, key: str, type_hint: Any) -> Any:
        return self._converter.from_payload(self._memo[key], type_hint)

    def raw_memo(self) -> dict[str, common.Payload]:
        return dict(self._memo)

    def untyped_search_attributes(self) -> dict[str, list[Any]]:
        return decode_untyped(self._search_attributes)

    def typed_search_attributes(self) -> TypedSearchAttributes:
        return decode_typed(self._search_attributes)


def info_from_start(
    attrs: history.WorkflowExecutionStartedEventAttributes,
    *,
    workflow_type: str,
    start_time: datetime,
    namespace: str,
    workflow_id: str,
    run_id: str,
    task_queue: str,
) -> Info:
    """The ``workflow.info()`` of a run, from its start event."""
    parent = root = None
    if attrs.HasField("parent_workflow_execution"):
        parent = ParentInfo(
            namespace=attrs.parent_workflow_namespace,
            run_id=attrs.parent_workflow_execution.run_id,
            workflow_id=attrs.parent_workflow_execution.workflow_id,
        )
    if attrs.HasField("root_workflow_execution"):
        root = RootInfo(
            run_id=attrs.root_workflow_execution.run_id, workflow_id=attrs.root_workflow_execution.workflow_id
        )
    retry_policy = None
    if attrs.HasField("retry_policy"):
        policy = attrs.retry_policy
        retry_policy = RetryPolicy(
            initial_interval=policy.initial_interval.ToTimedelta(),
            backoff_coefficient=policy.backoff_coefficient,
            maximum_interval=policy.maximum_interval.ToTimedelta() if policy.HasField("maximum_interval") else None,
            maximum_attempts=policy.maximum_attempts,
            non_retryable_error_types=list(policy.non_retryable_error_types),
        )
    return Info(
        workflow_id=workflow_id,
        run_id=run_id,
        workflow_type=workflow_type,
        task_queue=task_queue,
        namespace=namespace,
        attempt=attrs.attempt or 1,
        start_time=start_time,
        continued_run_id=attrs.continued_execution_run_id or None,
        first_execution_run_id=attrs.first_execution_run_id,
        run_timeout=attrs.workflow_run_timeout.ToTimedelta() if attrs.HasField("workflow_run_timeout") else None,
        execution_timeout=(
            attrs.workflow_execution_timeout.ToTimedelta() if attrs.HasField("workflow_execution_timeout") else None
        ),
        task_timeout=(
            attrs.workflow_task_timeout.ToTimedelta()
            if attrs.HasField("workflow_task_timeout")
            else timedelta(seconds=10)
        ),
        cron_schedule=attrs.cron_schedule or None,
        original_execution_run_id=attrs.original_execution_run_id,
        parent=parent,
        root=root,
        retry_policy=retry_policy,
        headers=dict(attrs.header.fields),
    )
