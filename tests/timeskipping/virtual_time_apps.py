"""Helpers for the virtual-time tests of retention, schedules, cron, workflow timeouts and
workflow retries: workflows of the official SDK (one that returns at once, what a schedule or
cron starts; one that sleeps; one that fails its first attempt), and the TestService calls
that move virtual time."""

from __future__ import annotations

import grpc
from google.protobuf import duration_pb2, empty_pb2
from temporalio import workflow
from temporalio.api.testservice.v1 import request_response_pb2 as tsv1
from temporalio.api.testservice.v1 import service_pb2_grpc as test_grpc
from temporalio.exceptions import ApplicationError


@workflow.defn
class Instant:
    @workflow.run
    async def run(self) -> str:
        return "done"


async def skip(address: str, seconds: float) -> None:
    """Unlock time skipping for `seconds` of virtual time (it jumps when nothing is due), then lock again."""
    async with grpc.aio.insecure_channel(address) as channel:
        request = tsv1.SleepRequest(duration=duration_pb2.Duration(seconds=int(seconds)))
        await test_grpc.TestServiceStub(channel).UnlockTimeSkippingWithSleep(request)


async def virtual_now(address: str) -> float:
    async with grpc.aio.insecure_channel(address) as channel:
        response = await test_grpc.TestServiceStub(channel).GetCurrentTime(empty_pb2.Empty())
    return float(response.time.ToNanoseconds() / 1e9)


@workflow.defn
class Sleeps:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await workflow.sleep(seconds)
        return "woke"


@workflow.defn
class FailsItsFirstAttempt:
    @workflow.run
    async def run(self) -> int:
        if workflow.info().attempt == 1:
            raise ApplicationError("the first attempt fails")
        return workflow.info().attempt
