"""The work of `tempo batch ...` and of the batch form of `tempo workflow ...` (see
`tempo_cli.batch`): messages and `-o json` documents as `temporal` prints them."""

from __future__ import annotations

import getpass
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.batch.v1 import message_pb2 as batch_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import batch_operation_pb2 as batch_enums
from temporalio.api.enums.v1 import reset_pb2 as reset_enums
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from tempo_cli._cli import CliContext, Output, UsageError
from tempo_cli._raw_calls import call
from tempo_cli._read_tables import BatchListing
from tempo_cli._render import format_time, key_value_table, proto_dict

_call = call


# ---------------------------------------------------------------- tempo batch ...


def describe(cli: CliContext, job_id: str) -> None:
    """`tempo batch describe`: as `temporal batch describe` shows a job."""

    async def work(client: Any) -> wsv1.DescribeBatchOperationResponse | None:
        from sdk.exceptions import RPCError

        request = wsv1.DescribeBatchOperationRequest(namespace=client.namespace, job_id=job_id)
        try:
            response: wsv1.DescribeBatchOperationResponse = await _call(
                client, client.service.DescribeBatchOperation, request
            )
        except RPCError as err:
            if err.status_code.name == "NOT_FOUND":
                return None
            raise
        return response

    job = cli.run_blocking(work)
    if job is None:
        cli.abort(f"could not find batch job {job_id!r}")
    if cli.json_mode:
        cli.write_json(proto_dict(job))
        return
    total = job.total_operation_count
    rows: list[tuple[str, Any]] = [
        ("State", _state(job.state)),
        ("Type", _type(job.operation_type)),
        ("StartTime", _time(job.start_time) if job.HasField("start_time") else ""),
    ]
    if job.HasField("close_time"):
        rows.append(("CloseTime", _time(job.close_time)))
    rows += [
        ("CompletedCount", f"{job.complete_operation_count}/{total}"),
        ("FailureCount", f"{job.failure_operation_count}/{total}"),
    ]
    cli.print_table(key_value_table(rows))


def list_jobs(cli: CliContext, limit: int | None, time_format: str = "relative") -> None:
    """`tempo batch list`: as `temporal batch list` lists them (`_read_tables.BatchListing`),
    times per ``--time-format``; the lean path too (`_lean_reads`)."""
    listing = BatchListing(limit)

    async def work(client: Any) -> None:
        request = wsv1.ListBatchOperationsRequest(namespace=client.namespace)
        while listing.take(page := await _call(client, client.service.ListBatchOperations, request)):
            request.next_page_token = page.next_page_token

    cli.run_blocking(work)
    if cli.settings.output is Output.jsonl:
        for job in listing.jobs():
            cli.write_json(proto_dict(job))
        return
    if cli.json_mode:
        cli.write_json([proto_dict(job) for job in listing.jobs()])
        return
    now = datetime.now(UTC)
    for table in listing.tables(now, time_format):
        cli.print_table(table)


def stop(cli: CliContext, job_id: str, reason: str) -> None:
    """`tempo batch terminate`: StopBatchOperation."""

    async def work(client: Any) -> None:
        request = wsv1.StopBatchOperationRequest(
            namespace=client.namespace, job_id=job_id, reason=reason, identity=client.identity
        )
        await _call(client, client.service.StopBatchOperation, request)

    cli.run_blocking(work)
    cli.info(f"Terminated batch job {job_id!r}.")


def _state(state: int) -> str:
    return batch_enums.BatchOperationState.Name(state).removeprefix("BATCH_OPERATION_STATE_").title()  # type: ignore[arg-type]


def _type(kind: int) -> str:
    name = batch_enums.BatchOperationType.Name(kind).removeprefix("BATCH_OPERATION_TYPE_")  # type: ignore[arg-type]
    return "".join(part.title() for part in name.split("_"))


def _time(stamp: Any) -> str:
    return format_time(datetime.fromtimestamp(stamp.ToMicroseconds() / 1e6, tz=UTC))


# ---------------------------------------------------------------- the batch form of tempo workflow ...


def wants_batch(
    cli: CliContext, workflow_id: str | None, run_id: str | None, query: str | None, rps: float | None, yes: bool
) -> bool:
    """Whether a `tempo workflow ...` command runs as a batch job; refuses mixed flags as
    `temporal` does."""
    if query is None:
        if workflow_id is None:
            cli.abort("give --workflow-id or --query")
        if rps is not None or yes:
            cli.abort("--rps and --yes need --query")
        return False
    if workflow_id is not None or run_id is not None:
        cli.abort("give --workflow-id or --query, not both")
    return True


def start_job(
    cli: CliContext, query: str, rps: float | None, yes: bool, reason: str, operation: dict[str, Any]
) -> None:
    """Confirm (unless --yes), start the batch job and print its id.

    `operation` is the request's operation field: e.g. {"termination_operation": ...}.
    """

    async def work(client: Any) -> str | None:
        if not yes:
            counted = await _call(
                client,
                client.service.CountWorkflowExecutions,
                wsv1.CountWorkflowExecutionsRequest(namespace=client.namespace, query=query),
            )
            if not confirm(f"Start batch against approximately {counted.count} workflow(s)?"):
                return None
        else:
            cli.info(f'Start batch against workflows matching query "{query}"? y/N yes')
        job_id = str(uuid.uuid4())
        # As `temporal` does: the job carries who started it.
        for message in operation.values():
            if "identity" in message.DESCRIPTOR.fields_by_name and not message.identity:
                message.identity = client.identity
        request = wsv1.StartBatchOperationRequest(
            namespace=client.namespace,
            job_id=job_id,
            reason=reason or getpass.getuser(),
            visibility_query=query,
            max_operations_per_second=rps or 0.0,
            **operation,  # type: ignore[arg-type]
        )
        await _call(client, client.service.StartBatchOperation, request)
        return job_id

    job_id = cli.run_blocking(work)
    if job_id is None:
        cli.abort("user denied confirmation")
    if cli.json_mode:
        cli.write_json({"batchJobId": job_id})
    else:
        cli.info(f"Started batch for job ID: {job_id}")


def confirm(question: str) -> bool:
    """Ask on stderr; only y or yes (any case) is a yes."""
    print(f"{question} y/N ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def terminate_workflows(cli: CliContext, query: str, rps: float | None, yes: bool, reason: str) -> None:
    start_job(cli, query, rps, yes, reason, {"termination_operation": batch_pb.BatchOperationTermination()})


def cancel_workflows(cli: CliContext, query: str, rps: float | None, yes: bool, reason: str) -> None:
    start_job(cli, query, rps, yes, reason, {"cancellation_operation": batch_pb.BatchOperationCancellation()})


def delete_workflows(cli: CliContext, query: str, rps: float | None, yes: bool, reason: str) -> None:
    start_job(cli, query, rps, yes, reason, {"deletion_operation": batch_pb.BatchOperationDeletion()})


def signal_workflows(
    cli: CliContext,
    query: str,
    rps: float | None,
    yes: bool,
    name: str,
    inputs: list[str],
    files: list[Path],
    reason: str,
) -> None:
    from sdk.converter import DataConverter
    from tempo_cli._inputs import parse_inputs

    try:
        args = parse_inputs(inputs, files)
    except UsageError as err:
        cli.abort(str(err))
    payloads = common.Payloads(payloads=DataConverter().to_payloads(args)) if args else None
    signal = batch_pb.BatchOperationSignal(signal=name, input=payloads)
    start_job(cli, query, rps, yes, reason, {"signal_operation": signal})


def reset_workflows(
    cli: CliContext,
    query: str,
    rps: float | None,
    yes: bool,
    reset_type: str | None,
    reason: str,
    post_operations: Sequence[workflow_pb.PostResetOperation] = (),
) -> None:
    if reset_type not in ("FirstWorkflowTask", "LastWorkflowTask"):
        cli.abort("a batch reset needs --type FirstWorkflowTask or LastWorkflowTask")
    kind = (
        reset_enums.RESET_TYPE_FIRST_WORKFLOW_TASK
        if reset_type == "FirstWorkflowTask"
        else reset_enums.RESET_TYPE_LAST_WORKFLOW_TASK
    )
    operation = batch_pb.BatchOperationReset(reset_type=kind, post_reset_operations=post_operations)
    start_job(cli, query, rps, yes, reason, {"reset_operation": operation})


def delete_one(cli: CliContext, workflow_id: str, run_id: str | None) -> None:
    """`tempo workflow delete --workflow-id`: one DeleteWorkflowExecution."""

    async def work(client: Any) -> None:
        request = wsv1.DeleteWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=common.WorkflowExecution(workflow_id=workflow_id, run_id=run_id or ""),
        )
        await _call(client, client.service.DeleteWorkflowExecution, request, workflow_id)

    cli.run_blocking(work)
    cli.info(f"Deleted workflow {workflow_id}.")
