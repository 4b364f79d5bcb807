"""`tempo workflow update-options`: a workflow's versioning override, set or removed with one
UpdateWorkflowExecutionOptions (flags and messages as `temporal workflow update-options`)."""

from __future__ import annotations

from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from google.protobuf import field_mask_pb2
from temporalio.api.batch.v1 import message_pb2 as batch_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.deployment.v1 import message_pb2 as deployment_pb
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from tempo_cli._context import CliContext
from tempo_cli._raw_calls import call
from tempo_cli._versioning_options import OverrideBehavior

_MASK = "versioning_override"


def versioning_override(
    cli: CliContext, behavior: OverrideBehavior, deployment_name: str | None, build_id: str | None
) -> workflow_pb.VersioningOverride | None:
    """The override the flags ask for (None: remove it); a mistake in them ends the command."""
    targeted = behavior in (OverrideBehavior.pinned, OverrideBehavior.one_time)
    if targeted and not (deployment_name and build_id):
        cli.abort(f"missing deployment name and/or build id with '{behavior.value}' behavior")
    if not targeted and (deployment_name or build_id):
        cli.abort(f"cannot set pinned deployment name or build id with '{behavior.value}' behavior")
    version = deployment_pb.WorkerDeploymentVersion(deployment_name=deployment_name or "", build_id=build_id or "")
    if behavior is OverrideBehavior.pinned:
        return workflow_pb.VersioningOverride(
            pinned=workflow_pb.VersioningOverride.PinnedOverride(
                behavior=workflow_pb.VersioningOverride.PINNED_OVERRIDE_BEHAVIOR_PINNED, version=version
            )
        )
    if behavior is OverrideBehavior.one_time:
        return workflow_pb.VersioningOverride(
            one_time=workflow_pb.VersioningOverride.OneTimeOverride(target_deployment_version=version)
        )
    if behavior is OverrideBehavior.auto_upgrade:
        return workflow_pb.VersioningOverride(auto_upgrade=True)
    return None


def _options(override: workflow_pb.VersioningOverride | None) -> workflow_pb.WorkflowExecutionOptions:
    options = workflow_pb.WorkflowExecutionOptions()
    if override is not None:
        options.versioning_override.CopyFrom(override)
    return options


def update_options(
    cli: CliContext, workflow_id: str, run_id: str | None, override: workflow_pb.VersioningOverride | None
) -> None:
    """One workflow's override, set (or removed) with one UpdateWorkflowExecutionOptions."""

    async def work(client: Any) -> None:
        request = wsv1.UpdateWorkflowExecutionOptionsRequest(
            namespace=client.namespace,
            workflow_execution=common.WorkflowExecution(workflow_id=workflow_id, run_id=run_id or ""),
            workflow_execution_options=_options(override),
            update_mask=field_mask_pb2.FieldMask(paths=[_MASK]),
            identity=client.identity,
        )
        await call(client, client.service.UpdateWorkflowExecutionOptions, request, workflow_id)

    cli.run_blocking(work)
    if not cli.json_mode:
        cli.write_raw("Update workflow options succeeded")


def update_options_batch(
    cli: CliContext,
    query: str,
    rps: float | None,
    yes: bool,
    reason: str,
    override: workflow_pb.VersioningOverride | None,
) -> None:
    """The override for every workflow the query lists, as a batch job."""
    from tempo_cli._batch_commands import start_job

    operation = batch_pb.BatchOperationUpdateWorkflowExecutionOptions(
        workflow_execution_options=_options(override), update_mask=field_mask_pb2.FieldMask(paths=[_MASK])
    )
    start_job(cli, query, rps, yes, reason, {"update_workflow_options_operation": operation})
