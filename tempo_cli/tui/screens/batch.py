"""The batch dialog of the Workflows screen: signal, cancel or terminate every open run the
current filter matches, as one batch job on the server. It shows how many runs that is
(CountWorkflowExecutions) before anything starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select

from tempo_cli.tui.screens.forms import Form
from tempo_cli.tui.widgets.query_panel import parse_arguments

OPERATIONS = [("Terminate", "terminate"), ("Cancel", "cancel"), ("Signal", "signal")]


@dataclass(frozen=True)
class BatchRequest:
    """What the user confirmed: the operation, its reason, and for a signal its name and input."""

    operation: str
    reason: str
    signal_name: str = ""
    args: tuple[Any, ...] = ()


def open_runs_query(query: str) -> str:
    """The runs a batch signal, cancel or terminate reaches: the open ones the filter matches."""
    return f"({query}) AND ExecutionStatus='Running'" if query else "ExecutionStatus='Running'"


class BatchScreen(Form):
    """Pick signal, cancel or terminate for the `count` open runs of `query`; confirm to start."""

    def __init__(self, query: str, count: int) -> None:
        super().__init__()
        self.query_text = query
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Batch operation", classes="dialog-title")
            yield Label(
                f"{self.count} running workflow(s) match {self.query_text or 'all runs'}.",
                id="batch-count",
                classes="dialog-body",
                markup=False,
            )
            with Horizontal(classes="form-row"):
                yield Label("Operation", classes="form-label")
                yield Select(OPERATIONS, value="terminate", allow_blank=False, id="batch-operation", compact=True)
            with Horizontal(classes="form-row", id="batch-signal-row"):
                yield Label("Signal", classes="form-label")
                yield Input(placeholder="signal name", id="batch-signal", compact=True)
            with Horizontal(classes="form-row", id="batch-input-row"):
                yield Label("Input", classes="form-label")
                yield Input(placeholder="JSON: one value, or [arg1, arg2]", id="batch-input", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Reason", classes="form-label")
                yield Input(value="Batch from tempo tui", id="batch-reason", compact=True)
            yield Label("", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"Start on {self.count}", id="form-ok", variant="error")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        self._show_signal_fields(False)
        self.query_one("#batch-operation", Select).focus()

    def _show_signal_fields(self, shown: bool) -> None:
        for row in ("#batch-signal-row", "#batch-input-row"):
            self.query_one(row).set_class(not shown, "hidden")

    @on(Select.Changed, "#batch-operation")
    def _operation_changed(self, event: Select.Changed) -> None:
        self._show_signal_fields(event.value == "signal")

    def action_submit(self) -> None:
        if self.count == 0:
            self.show_error("No running workflow matches the filter.")
            return
        operation = str(self.query_one("#batch-operation", Select).value)
        reason = self.query_one("#batch-reason", Input).value.strip()
        if not reason:
            self.show_error("Give a reason.")
            return
        if operation != "signal":
            self.dismiss(BatchRequest(operation, reason))
            return
        name = self.query_one("#batch-signal", Input).value.strip()
        if not name:
            self.show_error("Type a signal name.")
            return
        try:
            args = parse_arguments(self.query_one("#batch-input", Input).value)
        except ValueError as err:
            self.show_error(str(err))
            return
        self.dismiss(BatchRequest(operation, reason, name, tuple(args)))


async def count_open_runs(client: Any, query: str) -> int:
    """How many runs the batch would reach (CountWorkflowExecutions of the open ones)."""
    from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

    request = wsv1.CountWorkflowExecutionsRequest(namespace=client.namespace, query=open_runs_query(query))
    response = await _call(client, client.service.CountWorkflowExecutions, request)
    return int(response.count)


async def run_batch_job(client: Any, query: str, batch: BatchRequest) -> Any:
    """Start the batch job on the server and wait for it to finish; its DescribeBatchOperation."""
    import asyncio
    import uuid

    from temporalio.api.batch.v1 import message_pb2 as batch_pb
    from temporalio.api.common.v1 import message_pb2 as common
    from temporalio.api.enums.v1 import batch_operation_pb2 as batch_enums
    from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

    operation: dict[str, Any]
    if batch.operation == "terminate":
        operation = {"termination_operation": batch_pb.BatchOperationTermination(identity=client.identity)}
    elif batch.operation == "cancel":
        operation = {"cancellation_operation": batch_pb.BatchOperationCancellation(identity=client.identity)}
    else:
        payloads = client.data_converter.to_payloads(list(batch.args)) if batch.args else []
        signal = batch_pb.BatchOperationSignal(
            signal=batch.signal_name,
            input=common.Payloads(payloads=payloads) if payloads else None,
            identity=client.identity,
        )
        operation = {"signal_operation": signal}
    job_id = str(uuid.uuid4())
    start = wsv1.StartBatchOperationRequest(
        namespace=client.namespace,
        job_id=job_id,
        reason=batch.reason,
        visibility_query=open_runs_query(query),
        **operation,
    )
    await _call(client, client.service.StartBatchOperation, start)
    describe = wsv1.DescribeBatchOperationRequest(namespace=client.namespace, job_id=job_id)
    while True:
        job = await _call(client, client.service.DescribeBatchOperation, describe)
        if job.state != batch_enums.BATCH_OPERATION_STATE_RUNNING:
            return job
        await asyncio.sleep(0.2)


def outcome(job: Any) -> str:
    """One line for the user: the job id and its counts."""
    from temporalio.api.enums.v1 import batch_operation_pb2 as batch_enums

    state = batch_enums.BatchOperationState.Name(job.state).removeprefix("BATCH_OPERATION_STATE_").lower()
    return (
        f"Batch job {job.job_id} {state}: {job.complete_operation_count} of {job.total_operation_count} done, "
        f"{job.failure_operation_count} failed."
    )


async def _call(client: Any, method: Any, request: Any) -> Any:
    import grpc

    from sdk._client_rpc import map_error

    try:
        return await method(request, timeout=10.0)
    except grpc.aio.AioRpcError as err:
        raise map_error(err, client.address) from None
