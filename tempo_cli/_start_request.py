"""Start requests as `temporal workflow start` sends them, for start, execute and the *-with-start
commands: the SDK client's options plus memo, search attributes, headers and a start delay.

Memo, search attribute and header values are JSON, checked before anything is sent, and sent as
`temporal` sends them: compact, object keys sorted, other than ASCII as UTF-8.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from temporalio.api.common.v1 import Header, Memo, Payload, Payloads, SearchAttributes, WorkflowType
from temporalio.api.sdk.v1 import UserMetadata
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1.request_response_pb2 import StartWorkflowExecutionRequest

from sdk._client_types import to_duration
from sdk._request_id import request_id
from sdk.client import Client, StartWorkflowOptions
from tempo_cli._cli import UsageError
from tempo_cli._inputs import parse_conflict_policy, parse_duration, parse_inputs, parse_reuse_policy

if TYPE_CHECKING:
    from pathlib import Path

    from tempo_cli.workflow import StartOptions


@dataclass(frozen=True)
class PlainStartOptions:
    """`StartOptions` (tempo_cli.workflow) without its Typer annotations: the same fields.

    What the fast path (`_fast_commands`) hands `_commands.start` and `execute`; here, not
    there, so that only those commands pay for making the class."""

    workflow_type: str
    task_queue: str
    workflow_id: str | None = None
    inputs: list[str] | None = None
    input_files: list[Path] | None = None
    execution_timeout: str | None = None
    run_timeout: str | None = None
    task_timeout: str | None = None
    id_reuse_policy: str | None = None
    id_conflict_policy: str | None = None
    static_summary: str | None = None
    static_details: str | None = None
    memo: list[str] | None = None
    search_attributes: list[str] | None = None
    headers: list[str] | None = None
    start_delay: str | None = None
    fail_existing: bool = False


def json_payload(value: Any) -> Payload:
    """A JSON value as a payload, encoded as `temporal` encodes it (Go's json.Marshal)."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def parse_key_values(option: str, items: Sequence[str]) -> dict[str, Payload]:
    """``KEY=VALUE`` pairs, each VALUE JSON; raises UsageError naming the bad pair."""
    values: dict[str, Payload] = {}
    for item in items:
        key, equals, text = item.partition("=")
        if not equals or not key:
            raise UsageError(f"{option}: expected KEY=VALUE (VALUE in JSON), got {item!r}")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            raise UsageError(f"{option}: the value of {key!r} is not valid JSON ({err.msg})") from None
        values[key] = json_payload(value)
    return values


@dataclass(frozen=True)
class StartRequest:
    """What start, execute and the *-with-start commands send, parsed before connecting."""

    workflow_type: str
    args: list[Any]
    options: StartWorkflowOptions
    memo: dict[str, Payload]
    search_attributes: dict[str, Payload]
    headers: dict[str, Payload]
    start_delay: datetime.timedelta | None

    def message(self, client: Client) -> StartWorkflowExecutionRequest:
        """The StartWorkflowExecutionRequest (its fields are those of SignalWithStart too)."""
        o = self.options
        request = StartWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_id=o.id,
            workflow_type=WorkflowType(name=self.workflow_type),
            task_queue=TaskQueue(name=o.task_queue),
            workflow_execution_timeout=to_duration(o.execution_timeout),
            workflow_run_timeout=to_duration(o.run_timeout),
            workflow_task_timeout=to_duration(o.task_timeout),
            identity=client.identity,
            request_id=request_id(),
            workflow_id_reuse_policy=int(o.id_reuse_policy or 0),  # type: ignore[arg-type]
            workflow_id_conflict_policy=int(o.id_conflict_policy or 0),  # type: ignore[arg-type]
            workflow_start_delay=to_duration(self.start_delay),
        )
        if self.args:
            request.input.CopyFrom(Payloads(payloads=client.data_converter.to_payloads(self.args)))
        if self.memo:
            request.memo.CopyFrom(Memo(fields=self.memo))
        if self.search_attributes:
            request.search_attributes.CopyFrom(SearchAttributes(indexed_fields=self.search_attributes))
        if self.headers:
            request.header.CopyFrom(Header(fields=self.headers))
        if o.static_summary is not None or o.static_details is not None:
            convert = client.data_converter.to_payload
            request.user_metadata.CopyFrom(
                UserMetadata(
                    summary=convert(o.static_summary) if o.static_summary is not None else None,
                    details=convert(o.static_details) if o.static_details is not None else None,
                )
            )
        return request

    def fields(self, client: Client) -> dict[str, Any]:
        """The request's set fields by name, to build a SignalWithStart request from."""
        return {field.name: value for field, value in self.message(client).ListFields()}


def parse_start(typed: StartOptions) -> StartRequest:
    """Parse the options as typed; raises UsageError naming the bad one."""
    if not typed.task_queue:
        raise UsageError("--task-queue must not be empty")
    args = parse_inputs(typed.inputs or [], typed.input_files or [])
    options = StartWorkflowOptions(
        id=typed.workflow_id or request_id(),
        task_queue=typed.task_queue,
        execution_timeout=parse_duration("--execution-timeout", typed.execution_timeout),
        run_timeout=parse_duration("--run-timeout", typed.run_timeout),
        task_timeout=parse_duration("--task-timeout", typed.task_timeout),
        id_reuse_policy=parse_reuse_policy(typed.id_reuse_policy),
        id_conflict_policy=parse_conflict_policy(typed.id_conflict_policy),
        static_summary=typed.static_summary,
        static_details=typed.static_details,
    )
    return StartRequest(
        workflow_type=typed.workflow_type,
        args=args,
        options=options,
        memo=parse_key_values("--memo", typed.memo or []),
        search_attributes=parse_key_values("--search-attribute", typed.search_attributes or []),
        headers=parse_key_values("--headers", typed.headers or []),
        start_delay=parse_duration("--start-delay", typed.start_delay),
    )
