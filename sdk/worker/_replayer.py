"""Replay a saved history against workflow code: a determinism test for users."""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import event_type_pb2
from temporalio.api.history.v1 import message_pb2 as history

from sdk._payload_codec import decoded_copy
from sdk._workflow_definitions import _Definition
from sdk._workflow_history import WorkflowHistory, parse_history
from sdk.converter import DataConverter
from sdk.worker import _history as h
from sdk.worker._interceptor import Interceptor
from sdk.worker._workflow_instance import WorkflowInstance
from sdk.worker._workflow_interceptors import workflow_interceptor_classes
from sdk.worker._workflow_worker import WorkflowRun, activate_in_thread, check_replayed


@dataclass(frozen=True)
class ReplayResult:
    """What a replay went through.

    Attributes:
        workflow_type: The workflow type the history belongs to.
        workflow_tasks: Number of workflow tasks replayed (up to the failing one).
        completed: Whether the workflow code closed the workflow (complete, fail,
            continue-as-new or cancel) by the end of the history.
        replay_failure: With ``raise_on_replay_failure=False``, what the replay raised
            (a ``NondeterminismError``, a ``WorkflowTaskError``, ...); else None, as the
            official SDK's ``WorkflowReplayResult.replay_failure``.
        run_id: The run the history belongs to (its start event's).
    """

    workflow_type: str
    workflow_tasks: int
    completed: bool
    replay_failure: Exception | None = None
    run_id: str = ""


@dataclass(frozen=True)
class ReplayResults:
    """What :meth:`Replayer.replay_workflows` went through.

    Attributes:
        results: One per history, in order.
        replay_failures: The failures by run ID, as the official SDK's
            ``WorkflowReplayResults.replay_failures``.
    """

    results: Sequence[ReplayResult]

    @property
    def replay_failures(self) -> dict[str, Exception]:
        return {r.run_id: r.replay_failure for r in self.results if r.replay_failure is not None}


class Replayer:
    """Replays saved histories against workflow classes, without a server.

    Use it in tests to check that a change to workflow code is compatible with
    workflows already running: save a history with
    ``temporal workflow show -w ID -o json > history.json`` and replay it.

    Example:
        .. code-block:: python

            await Replayer(workflows=[Order]).replay_workflow(Path("history.json"))
    """

    def __init__(
        self,
        *,
        workflows: Sequence[type],
        data_converter: DataConverter | None = None,
        namespace: str = "default",
        interceptors: Sequence[Interceptor] = (),
    ) -> None:
        """Create a replayer.

        Args:
            workflows: ``@workflow.defn`` classes the histories may belong to.
            data_converter: Converter the workflows' worker uses.
            namespace: Namespace reported to workflow code by ``workflow.info()``.
            interceptors: Worker interceptors whose workflow interceptors wrap each replay,
                as they wrap the live runs.

        Raises:
            TypeError: A class is not a workflow definition.
            ValueError: No workflows, or two with the same name.
        """
        if not workflows:
            raise ValueError("Replayer needs at least one workflow class")
        definitions = [_Definition.from_class(cls) for cls in workflows]
        self._definitions = {d.name: d for d in definitions if not d.dynamic}
        dynamic = [d for d in definitions if d.dynamic]
        if len(self._definitions) + len(dynamic) != len(definitions):
            raise ValueError("two workflow classes have the same workflow name")
        if len(dynamic) > 1:
            raise ValueError("only one dynamic workflow class may be given")
        self._dynamic = dynamic[0] if dynamic else None
        self._converter = data_converter or DataConverter.default
        self._namespace = namespace
        self._interceptor_classes = workflow_interceptor_classes(interceptors)

    async def replay_workflow(
        self,
        history_source: history.History | WorkflowHistory | str | bytes | os.PathLike[str] | Mapping[str, Any],
        *,
        workflow_id: str | None = None,
        deadlock_timeout: timedelta | None = timedelta(seconds=10),
        raise_on_replay_failure: bool = True,
    ) -> ReplayResult:
        """Replay one history; raise if the code no longer produces what it records.

        Args:
            history_source: A :class:`~sdk.client.WorkflowHistory` (``handle.fetch_history()``),
                a ``History`` message, the JSON text of ``temporal workflow show -o json``
                or ``WorkflowHistory.to_json()`` (as ``str``/``bytes``, a parsed ``dict``,
                or a path to the file).
            workflow_id: Reported to workflow code by ``workflow.info()``; defaults to
                the ``WorkflowHistory``'s, else ``"replay"``.
            deadlock_timeout: Fail if one workflow task does not yield for this long.
            raise_on_replay_failure: With False, a failing replay is returned in
                ``replay_failure`` instead of raised (the official SDK's option).

        Returns:
            A summary of the replay.

        Raises:
            NondeterminismError: The code produced different commands than the history records.
            ValueError: The history cannot be parsed, is empty, or its workflow type is unknown.
            WorkflowTaskError: Workflow code raised an unexpected exception during replay.
        """
        if workflow_id is None:
            workflow_id = history_source.workflow_id if isinstance(history_source, WorkflowHistory) else "replay"
        loaded = load_history(history_source)
        codec = self._converter.payload_codec
        if codec is not None:
            loaded = await decoded_copy(loaded, codec)  # as the worker gets it from the server
        events = list(loaded.events)
        if not events or events[0].event_type != event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            raise ValueError("history must start with WorkflowExecutionStarted")
        started = events[0].workflow_execution_started_event_attributes
        type_name = started.workflow_type.name
        definition = self._definitions.get(type_name) or self._dynamic
        if definition is None:
            raise ValueError(
                f"history is of workflow type {type_name!r}, which is not among the "
                f"replayer's workflows {sorted(self._definitions)}"
            )
        instance = WorkflowInstance(  # type: ignore[abstract]
            definition,
            namespace=self._namespace,
            workflow_id=workflow_id,
            run_id=started.original_execution_run_id or "replay",
            task_queue=started.task_queue.name,
            converter=self._converter,
            interceptor_classes=self._interceptor_classes,
        )
        run = WorkflowRun(definition, instance)
        try:
            activations = run.translator.feed(events)
        except h.HistoryError as err:
            raise ValueError(f"cannot replay this history: {err}") from err
        # A thread with a deadline, like the worker: a deadlocked workflow fails, not hangs.
        timeout = deadlock_timeout.total_seconds() if deadlock_timeout else None
        replayed = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
            try:
                for activation in activations:
                    replayed += 1
                    commands = await activate_in_thread(executor, timeout, run, activation)
                    check_replayed(activation, commands)
            except Exception as err:
                if raise_on_replay_failure:
                    raise
                return ReplayResult(type_name, replayed, False, err, started.original_execution_run_id)
            finally:
                instance.dispose()
        return ReplayResult(type_name, replayed, instance.completed, None, started.original_execution_run_id)

    async def replay_workflows(
        self,
        histories: Iterable[history.History | WorkflowHistory | str | bytes | os.PathLike[str] | Mapping[str, Any]],
        *,
        raise_on_replay_failure: bool = True,
    ) -> ReplayResults:
        """Replay several histories, one after the other (as :meth:`replay_workflow`).

        Raises:
            NondeterminismError: With ``raise_on_replay_failure``, at the first failing history.
            ValueError: A history cannot be parsed or is of an unknown workflow type.
        """
        results = [
            await self.replay_workflow(source, raise_on_replay_failure=raise_on_replay_failure) for source in histories
        ]
        return ReplayResults(results)


def load_history(
    source: history.History | WorkflowHistory | str | bytes | os.PathLike[str] | Mapping[str, Any],
) -> history.History:
    """Parse a history from a message, a :class:`WorkflowHistory`, JSON text, a parsed dict
    or a file path.

    Raises:
        ValueError: Not a history.
    """
    return parse_history(source)
