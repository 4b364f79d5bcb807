"""The inputs of the client calls that start a workflow or an update, as interceptors get them
(see ``sdk/_client_interceptor.py``). Re-exported by :mod:`sdk.client`; import from there.

Apart from the other inputs so that a client makes these classes only when it first starts
a workflow or an update: a dataclass takes about half a millisecond to make.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from temporalio.api.common.v1 import Payload

if TYPE_CHECKING:
    from sdk._client_types import WorkflowUpdateStage
    from sdk._client_update import WithStartWorkflowOperation
    from sdk._options import StartWorkflowOptions


@dataclass
class StartWorkflowInput:
    """A :meth:`~sdk.client.Client.start_workflow` call (and signal-with-start)."""

    workflow: str
    args: Sequence[Any]
    options: StartWorkflowOptions
    start_signal: str | None
    start_signal_args: Sequence[Any]
    headers: Mapping[str, Payload]
    ret_type: Any

    @property
    def id(self) -> str:
        return self.options.id

    @property
    def task_queue(self) -> str:
        return self.options.task_queue


@dataclass
class StartWorkflowUpdateInput:
    """A :meth:`~sdk.client.WorkflowHandle.start_update` call (``execute_update`` too)."""

    id: str
    run_id: str | None
    update_id: str | None
    """None: a new UUID, made when the request is."""
    update: str
    args: Sequence[Any]
    wait_for_stage: WorkflowUpdateStage
    headers: Mapping[str, Payload]
    ret_type: Any


@dataclass
class UpdateWithStartStartWorkflowInput:
    """The start half of an update-with-start call."""

    workflow: str
    args: Sequence[Any]
    options: StartWorkflowOptions
    headers: Mapping[str, Payload]
    ret_type: Any

    @property
    def id(self) -> str:
        return self.options.id


@dataclass
class UpdateWithStartUpdateWorkflowInput:
    """The update half of an update-with-start call."""

    update_id: str | None
    """None: a new UUID, made when the request is."""
    update: str
    args: Sequence[Any]
    wait_for_stage: WorkflowUpdateStage
    headers: Mapping[str, Payload]
    ret_type: Any


@dataclass
class StartWorkflowUpdateWithStartInput:
    """A :meth:`~sdk.client.Client.start_update_with_start_workflow` call (``execute_...`` too)."""

    start_workflow_input: UpdateWithStartStartWorkflowInput
    update_workflow_input: UpdateWithStartUpdateWorkflowInput
    _operation: WithStartWorkflowOperation = field(repr=False)
