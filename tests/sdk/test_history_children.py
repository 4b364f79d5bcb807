"""Histories with children, signals and cancel requests -> activations, and their replay.

The recordings ``histories/family_*.json`` were made on the real dev server by
``histories/record_histories.py``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from sdk import workflow
from sdk.converter import DataConverter
from sdk.exceptions import ApplicationError, WorkflowAlreadyStartedError
from sdk.worker import Replayer
from sdk.worker import _history as h
from sdk.worker._replayer import load_history
from sdk.workflow import NondeterminismError
from tests.sdk.family_app import FamilyChild, FamilyParent

HISTORIES = Path(__file__).parent / "histories"
CONVERTER = DataConverter.default


def _activations(name: str) -> list[h.Activation]:
    return h.HistoryTranslator().feed(list(load_history(HISTORIES / name).events))


def test_child_events_become_numbered_jobs() -> None:
    activations = _activations("family_already_started.json")
    assert [[type(job).__name__ for job in a.jobs] for a in activations] == [
        ["StartWorkflow"],
        ["ResolveChildStart"],  # the first child started
        ["ResolveChildStart"],  # the second could not: its ID is in use
        ["ResolveExternal"],  # the signal reached the first child
        ["ResolveChild"],  # which completed
    ]
    started, refused = activations[1].jobs[0], activations[2].jobs[0]
    assert isinstance(started, h.ResolveChildStart) and isinstance(refused, h.ResolveChildStart)
    assert (started.seq, bool(started.run_id)) == (1, True)
    assert (refused.seq, refused.run_id, refused.failed_cause) == (2, "", 1)  # WORKFLOW_ALREADY_EXISTS
    completed = activations[4].jobs[0]
    assert isinstance(completed, h.ResolveChild)
    assert completed.seq == 1 and CONVERTER.from_payloads(completed.result or []) == ["finished by parent"]


def test_failed_signals_and_cancel_requests_carry_the_official_sdks_failure() -> None:
    activations = _activations("family_external.json")
    jobs = [a.jobs[0] for a in activations[1:]]
    assert jobs[0] == h.ResolveExternal("signal", 1)
    failed_signal, failed_cancel = jobs[1], jobs[2]
    assert isinstance(failed_signal, h.ResolveExternal) and isinstance(failed_cancel, h.ResolveExternal)
    assert (failed_signal.kind, failed_signal.seq, failed_cancel.kind, failed_cancel.seq) == ("signal", 2, "cancel", 1)
    error = CONVERTER.from_failure(failed_signal.failure)  # type: ignore[arg-type]
    assert isinstance(error, ApplicationError)
    assert (error.type, error.message) == (
        "ExternalWorkflowExecutionNotFound",
        "Unable to signal external workflow because it was not found",
    )


@pytest.mark.parametrize("scenario", ["already_started", "external"])
async def test_recorded_histories_with_children_and_signals_replay_cleanly(scenario: str) -> None:
    replayer = Replayer(workflows=[FamilyParent, FamilyChild])
    result = await replayer.replay_workflow(HISTORIES / f"family_{scenario}.json", workflow_id=f"family-{scenario}")
    assert result.completed and result.workflow_type == "FamilyParent"


@workflow.defn(name="FamilyParent")
class ParentThatNeverSignals(FamilyParent):
    """Starts its child as the recording did, then does not signal it."""

    @workflow.run
    async def run(self, scenario: str, target: str) -> list[str]:
        child_id = f"{workflow.info().workflow_id}-child"
        handle = await workflow.start_child_workflow(FamilyChild.run, "wait", id=child_id)
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await workflow.start_child_workflow(FamilyChild.run, "wait", id=child_id)
        return [await handle]


async def test_a_missing_signal_to_a_child_is_caught_as_nondeterministic() -> None:
    with pytest.raises(NondeterminismError) as caught:
        await Replayer(workflows=[ParentThatNeverSignals]).replay_workflow(
            HISTORIES / "family_already_started.json", workflow_id="family-already_started"
        )
    message = str(caught.value)
    assert "history has SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED (event 15" in message
    assert "signal_name='finish'" in message
    assert "no matching command" in message
