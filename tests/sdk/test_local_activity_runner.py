"""The worker side of local activities, without a server: attempts, retries and timeouts as
the workflow asked, what the activity sees of itself, and cancellation."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.enums.v1.workflow_pb2 import TimeoutType

from sdk import activity
from sdk._workflow_local_activities import LocalActivityOptions
from sdk.converter import DataConverter
from sdk.exceptions import ApplicationError
from sdk.worker._local_activities import LocalActivityRequest, ResolveLocalActivity
from sdk.worker._local_activity_runner import LocalActivityRunner
from sdk.workflow import RetryPolicy

CONVERTER = DataConverter()
SEEN: list[tuple[int, str, str]] = []


@activity.defn
async def remembers_attempts(fail_until: int) -> int:
    info = activity.info()
    SEEN.append((info.attempt, info.workflow_id, info.activity_id))
    if info.attempt < fail_until:
        raise RuntimeError(f"attempt {info.attempt}")
    return info.attempt


@activity.defn
async def declines() -> None:
    raise ApplicationError("card declined", type="Declined")


@activity.defn
async def hangs() -> None:
    await asyncio.sleep(30)


@activity.defn
def blocking_lookup(key: str) -> str:
    return f"{key} from {threading.current_thread().name}"


@pytest.fixture
def executor() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="tempo-local-activity")
    yield pool
    pool.shutdown(wait=False)


def _runner(executor: concurrent.futures.Executor) -> LocalActivityRunner:
    definitions = [remembers_attempts, declines, hangs, blocking_lookup]
    return LocalActivityRunner(
        {activity._definition(fn).name: activity._definition(fn) for fn in definitions}, CONVERTER, executor
    )


def _request(activity_type: str, *args: object, **options: object) -> LocalActivityRequest:
    now = datetime.now(UTC)
    return LocalActivityRequest(
        seq=1,
        activity_type=activity_type,
        activity_id="1",
        args=CONVERTER.to_payloads(list(args)),
        options=LocalActivityOptions(**options),  # type: ignore[arg-type]
        attempt=1,
        original_schedule_time=now,
        workflow_time=now,
        workflow_id="wf-7",
        run_id="run-1",
        workflow_type="Errands",
        namespace="default",
        task_queue="tq",
    )


async def _outcome(runner: LocalActivityRunner, request: LocalActivityRequest) -> ResolveLocalActivity:
    runner.start([request])
    [job] = await runner.next_outcomes(20)
    return job


QUICK_RETRIES = RetryPolicy(initial_interval=timedelta(milliseconds=10), backoff_coefficient=1.0)


async def test_attempts_retry_locally_and_each_sees_its_attempt_number(
    executor: concurrent.futures.Executor,
) -> None:
    SEEN.clear()
    request = _request("remembers_attempts", 3, start_to_close_timeout=timedelta(seconds=5), retry_policy=QUICK_RETRIES)
    job = await _outcome(_runner(executor), request)

    assert (job.outcome, job.attempt, job.backoff) == ("completed", 3, None)
    assert CONVERTER.from_payload(job.result) == 3  # type: ignore[arg-type]
    assert SEEN == [(1, "wf-7", "1"), (2, "wf-7", "1"), (3, "wf-7", "1")]


async def test_a_backoff_past_the_threshold_goes_back_to_the_workflow(executor: concurrent.futures.Executor) -> None:
    request = _request(
        "remembers_attempts",
        5,
        start_to_close_timeout=timedelta(seconds=5),
        retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2)),
        local_retry_threshold=timedelta(seconds=1),
    )
    job = await _outcome(_runner(executor), request)

    assert (job.outcome, job.attempt, job.backoff) == ("failed", 1, timedelta(seconds=2))
    assert job.failure is not None and job.failure.message == "attempt 1"


async def test_a_non_retryable_error_type_ends_the_retries(executor: concurrent.futures.Executor) -> None:
    request = _request(
        "declines",
        start_to_close_timeout=timedelta(seconds=5),
        retry_policy=RetryPolicy(non_retryable_error_types=["Declined"]),
    )
    job = await _outcome(_runner(executor), request)

    assert (job.outcome, job.attempt, job.backoff) == ("failed", 1, None)
    assert job.failure is not None and job.failure.application_failure_info.type == "Declined"


async def test_schedule_to_close_bounds_all_attempts(executor: concurrent.futures.Executor) -> None:
    request = _request("hangs", schedule_to_close_timeout=timedelta(milliseconds=300), retry_policy=QUICK_RETRIES)
    started = time.monotonic()
    job = await _outcome(_runner(executor), request)

    assert job.outcome == "timed_out"
    assert (
        job.failure is not None
        and job.failure.timeout_failure_info.timeout_type == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
    )
    assert time.monotonic() - started < 5


async def test_an_unregistered_activity_fails_with_a_message_naming_the_registered_ones(
    executor: concurrent.futures.Executor,
) -> None:
    request = _request(
        "refund", start_to_close_timeout=timedelta(seconds=5), retry_policy=RetryPolicy(maximum_attempts=1)
    )
    job = await _outcome(_runner(executor), request)

    assert job.outcome == "failed"
    assert job.failure is not None and "'refund' is not registered" in job.failure.message
    assert "blocking_lookup" in job.failure.message


async def test_a_plain_function_runs_in_a_thread(executor: concurrent.futures.Executor) -> None:
    job = await _outcome(
        _runner(executor), _request("blocking_lookup", "k", start_to_close_timeout=timedelta(seconds=5))
    )

    assert job.outcome == "completed"
    assert CONVERTER.from_payload(job.result).startswith("k from tempo-local-activity")  # type: ignore[arg-type]


async def test_a_cancelled_attempt_reports_cancelled(executor: concurrent.futures.Executor) -> None:
    runner = _runner(executor)
    runner.start([_request("hangs", start_to_close_timeout=timedelta(seconds=30))])
    assert await runner.next_outcomes(0.05) == []
    runner.cancel([1])
    [job] = await runner.next_outcomes(5)

    assert job.outcome == "cancelled"
    assert job.failure is not None and job.failure.HasField("canceled_failure_info")
    assert not runner.busy()
