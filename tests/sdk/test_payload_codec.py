"""A payload codec on the data converter: our worker and client encrypt, the official SDK
with the same codec reads what they wrote, and the server only ever sees encrypted bytes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import temporalio.client
import temporalio.worker
import temporalio.workflow
from temporalio.api.common.v1 import Payload, Payloads, WorkflowType
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import StartWorkflowExecutionRequest
from temporalio.exceptions import ApplicationError as OfficialApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk import workflow
from sdk.client import Client
from sdk.exceptions import WorkflowFailureError
from sdk.worker import Replayer, Worker
from tests import codec_app
from tests.codec_app import (
    CONVERTER,
    OFFICIAL_CONVERTER,
    PLAINTEXT_MARK,
    OfficialSecretKeeper,
    SecretWorkflow,
    whisper,
)
from tests.sdk.conftest import eventually


def _payloads_of(message: object) -> list[Payload]:
    """Every payload in a history, found by walking the messages (search attributes aside)."""
    found: list[Payload] = []

    def walk(msg: object) -> None:
        if isinstance(msg, Payload):
            found.append(msg)
            return
        for field, value in msg.ListFields():  # type: ignore[attr-defined]
            if field.message_type is None or field.message_type.name in ("SearchAttributes", "Header"):
                continue
            if field.message_type.GetOptions().map_entry:
                values = list(value.values())
                if values and not hasattr(values[0], "ListFields"):
                    continue
                for item in values:
                    walk(item)
            elif field.is_repeated:
                for item in value:
                    walk(item)
            else:
                walk(value)

    walk(message)
    return found


async def _history(client: Client, workflow_id: str) -> History:
    events = [event async for event in client.get_workflow_handle(workflow_id).fetch_history_events()]
    return History(events=events)


async def test_the_official_client_with_the_same_codec_reads_what_our_worker_encrypted(
    server_address: str, task_queue: str
) -> None:
    ours = await Client.connect(server_address, data_converter=CONVERTER)
    plain = await Client.connect(server_address)
    official = await temporalio.client.Client.connect(server_address, data_converter=OFFICIAL_CONVERTER)
    workflow_id = f"secret-{uuid.uuid4().hex[:8]}"
    try:
        async with Worker(ours, task_queue=task_queue, workflows=[SecretWorkflow], activities=[whisper]):
            handle = await official.start_workflow(
                "SecretWorkflow", args=[PLAINTEXT_MARK, True], id=workflow_id, task_queue=task_queue
            )
            await handle.signal("tell", "psst")

            async def heard() -> bool:
                return bool(await handle.query("heard_so_far") == ["psst"])

            await eventually(heard)
            assert await handle.result() == f"{PLAINTEXT_MARK} (whispered) heard ['psst']"
            # Our client with the codec reads the same result and answers.
            ours_handle = ours.get_workflow_handle(workflow_id)
            assert await ours_handle.result() == f"{PLAINTEXT_MARK} (whispered) heard ['psst']"
            assert await ours_handle.query(SecretWorkflow.heard_so_far) == ["psst"]

        history = await _history(plain, workflow_id)
        payloads = _payloads_of(history)
        # Input, signal, activity input and result, workflow result: all encrypted.
        assert len(payloads) >= 5
        assert {p.metadata["encoding"] for p in payloads} == {codec_app.ENCODING}
        assert PLAINTEXT_MARK.encode() not in history.SerializeToString()
        # Without the codec the result is an encoding it does not know, said so.
        with pytest.raises(Exception, match="binary/encrypted"):
            await plain.get_workflow_handle(workflow_id).result()
        # The Replayer decodes the history with the converter's codec, as the worker does.
        replayed = await Replayer(workflows=[SecretWorkflow], data_converter=CONVERTER).replay_workflow(history)
        assert replayed.completed
    finally:
        await ours.close()
        await plain.close()


async def test_a_failure_s_details_are_encrypted_and_read_back_by_both_sdks(
    server_address: str, task_queue: str
) -> None:
    ours = await Client.connect(server_address, data_converter=CONVERTER)
    plain = await Client.connect(server_address)
    official = await temporalio.client.Client.connect(server_address, data_converter=OFFICIAL_CONVERTER)
    workflow_id = f"secret-fail-{uuid.uuid4().hex[:8]}"
    try:
        async with Worker(ours, task_queue=task_queue, workflows=[SecretWorkflow], activities=[whisper]):
            handle = await ours.start_workflow(SecretWorkflow, "fail", id=workflow_id, task_queue=task_queue)
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
        assert failed.value.__cause__ is not None
        assert list(failed.value.__cause__.details) == [{"leaked": PLAINTEXT_MARK}]  # type: ignore[attr-defined]
        with pytest.raises(temporalio.client.WorkflowFailureError) as official_failed:
            await official.get_workflow_handle(workflow_id).result()
        cause = official_failed.value.cause
        assert isinstance(cause, OfficialApplicationError)
        assert cause.details == ({"leaked": PLAINTEXT_MARK},)

        history = await _history(plain, workflow_id)
        failed_event = next(e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED)
        details = failed_event.workflow_execution_failed_event_attributes.failure.application_failure_info.details
        assert [p.metadata["encoding"] for p in details.payloads] == [codec_app.ENCODING]
        assert PLAINTEXT_MARK.encode() not in history.SerializeToString()
    finally:
        await ours.close()
        await plain.close()


async def test_a_memo_is_encrypted_and_read_back_by_both_sdks(server_address: str, task_queue: str) -> None:
    ours = await Client.connect(server_address, data_converter=CONVERTER)
    plain = await Client.connect(server_address)
    official = await temporalio.client.Client.connect(server_address, data_converter=OFFICIAL_CONVERTER)
    workflow_id = f"secret-memo-{uuid.uuid4().hex[:8]}"
    try:
        # No worker: the run stays open with its memo; the memo is the client's alone.
        handle = await ours.start_workflow(
            SecretWorkflow, "x", id=workflow_id, task_queue=task_queue, memo={"note": PLAINTEXT_MARK}
        )
        assert (await handle.describe()).memo == {"note": PLAINTEXT_MARK}
        assert await (await official.get_workflow_handle(workflow_id).describe()).memo() == {"note": PLAINTEXT_MARK}
        raw = (await plain.get_workflow_handle(workflow_id).describe()).raw_description
        stored = raw.workflow_execution_info.memo.fields["note"]
        assert stored.metadata["encoding"] == codec_app.ENCODING
        assert PLAINTEXT_MARK.encode() not in raw.SerializeToString()
        await handle.terminate("done")
    finally:
        await ours.close()
        await plain.close()


async def test_a_payload_the_codec_cannot_decode_fails_the_workflow_task_not_the_worker(
    server_address: str, task_queue: str
) -> None:
    ours = await Client.connect(server_address, data_converter=CONVERTER)
    plain = await Client.connect(server_address)
    workflow_id = f"secret-bad-{uuid.uuid4().hex[:8]}"
    try:
        async with Worker(ours, task_queue=task_queue, workflows=[SecretWorkflow], activities=[whisper]):
            # Encrypted with a key our codec does not have.
            foreign = Payload(metadata={"encoding": codec_app.ENCODING, "encryption-key-id": b"other"}, data=b"?")
            await plain.service.StartWorkflowExecution(
                StartWorkflowExecutionRequest(
                    namespace="default",
                    workflow_id=workflow_id,
                    workflow_type=WorkflowType(name="SecretWorkflow"),
                    task_queue=TaskQueue(name=task_queue),
                    input=Payloads(payloads=[foreign]),
                    request_id=str(uuid.uuid4()),
                )
            )

            async def task_failed() -> bool:
                history = await _history(plain, workflow_id)
                return any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in history.events)

            await eventually(task_failed)
            history = await _history(plain, workflow_id)
            failed = next(e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
            assert "unknown encryption key 'other'" in failed.workflow_task_failed_event_attributes.failure.message
            # The worker goes on: another workflow runs to its end.
            result = await ours.execute_workflow(SecretWorkflow, "ok", id=f"{workflow_id}-next", task_queue=task_queue)
            assert result == "ok (whispered) heard []"
            await plain.get_workflow_handle(workflow_id).terminate("done")
    finally:
        await ours.close()
        await plain.close()


async def test_an_official_worker_with_the_codec_reads_what_our_client_sends(
    server_address: str, task_queue: str
) -> None:
    ours = await Client.connect(server_address, data_converter=CONVERTER)
    plain = await Client.connect(server_address)
    official = await temporalio.client.Client.connect(server_address, data_converter=OFFICIAL_CONVERTER)
    workflow_id = f"secret-keeper-{uuid.uuid4().hex[:8]}"
    try:
        async with temporalio.worker.Worker(
            official,
            task_queue=task_queue,
            workflows=[OfficialSecretKeeper],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            handle = await ours.start_workflow("OfficialSecretKeeper", "ann", id=workflow_id, task_queue=task_queue)
            assert await handle.execute_update("keep", PLAINTEXT_MARK) == f"kept {PLAINTEXT_MARK}"
            await handle.signal("finish")
            assert await handle.result() == f"ann kept ['{PLAINTEXT_MARK}']"
        history = await _history(plain, workflow_id)
        types = {e.event_type for e in history.events}
        assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED in types
        assert {p.metadata["encoding"] for p in _payloads_of(history)} == {codec_app.ENCODING}
        assert PLAINTEXT_MARK.encode() not in history.SerializeToString()
    finally:
        await ours.close()
        await plain.close()


@workflow.defn(name="CodecMarkers")
class CodecMarkers:
    @workflow.run
    async def run(self) -> str:
        if workflow.patched("v2"):
            return await workflow.execute_local_activity(whisper, "low", start_to_close_timeout=timedelta(seconds=5))
        return "old"


@temporalio.workflow.defn(name="CodecMarkers")
class OfficialCodecMarkers:
    @temporalio.workflow.run
    async def run(self) -> str:
        if temporalio.workflow.patched("v2"):
            return await temporalio.workflow.execute_local_activity(  # type: ignore[no-any-return]
                "whisper", "low", start_to_close_timeout=timedelta(seconds=5)
            )
        return "old"


async def test_the_cores_marker_bookkeeping_stays_plain_so_histories_replay_across_sdks(
    server_address: str, task_queue: str
) -> None:
    """A patch's and a local activity's own marker data are plain JSON under a codec, as the
    official core writes them (the local activity's result is encrypted): the official SDK with
    the same codec replays our history."""
    ours = await Client.connect(server_address, data_converter=CONVERTER)
    workflow_id = f"markers-{uuid.uuid4().hex[:8]}"
    try:
        async with Worker(ours, task_queue=task_queue, workflows=[CodecMarkers], activities=[whisper]):
            handle = await ours.start_workflow(CodecMarkers.run, id=workflow_id, task_queue=task_queue)
            assert await handle.result() == "low (whispered)"
        plain = await Client.connect(server_address)  # the history as stored, not decoded
        history = await _history(plain, workflow_id)
        await plain.close()
    finally:
        await ours.close()
    markers = {
        e.marker_recorded_event_attributes.marker_name: e.marker_recorded_event_attributes.details
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
    }
    assert markers["core_patch"]["patch-data"].payloads[0].metadata["encoding"] == b"json/plain"
    assert markers["core_local_activity"]["data"].payloads[0].metadata["encoding"] == b"json/plain"
    assert markers["core_local_activity"]["result"].payloads[0].metadata["encoding"] == codec_app.ENCODING
    official = temporalio.worker.Replayer(
        workflows=[OfficialCodecMarkers], data_converter=OFFICIAL_CONVERTER, workflow_runner=UnsandboxedWorkflowRunner()
    )
    await official.replay_workflow(temporalio.client.WorkflowHistory(workflow_id=workflow_id, events=history.events))
    assert (await Replayer(workflows=[CodecMarkers], data_converter=CONVERTER).replay_workflow(history)).completed
