"""TestService (`temporal.api.testservice.v1`): the time-skipping controls of the Java test server.

Served only when the server runs on a `SkippingClock` (`tempo-test-server`, or
`tempo server start-dev --time-skipping`). The official SDKs' time-skipping environments
lock the clock while a test's own code runs and unlock it while they wait on a workflow's
result, so the server skips time whenever only timers are left.
"""

from __future__ import annotations

import temporalio.api.testservice.v1.request_response_pb2 as tsv1
from google.protobuf import empty_pb2

from devserver.clock import SkippingClock, UnbalancedUnlock
from devserver.core.protos import seconds_of, timestamp
from devserver.engine import Engine
from devserver.errors import InvalidArgument, ServiceError
from devserver.grpc_service import rpc
from devserver.h2_server import CallContext
from tempo_wire.status import StatusCode


class UnbalancedUnlockError(ServiceError):
    # The Java test server throws here, which its gRPC layer answers UNKNOWN.
    code = StatusCode.UNKNOWN


class TestService:
    """Handlers for every TestService RPC."""

    __test__ = False  # not a pytest test class

    def __init__(self, engine: Engine, clock: SkippingClock) -> None:
        self.engine = engine
        self.clock = clock

    @rpc
    async def LockTimeSkipping(
        self, request: tsv1.LockTimeSkippingRequest, context: CallContext
    ) -> tsv1.LockTimeSkippingResponse:
        self.clock.lock()
        return tsv1.LockTimeSkippingResponse()

    @rpc
    async def UnlockTimeSkipping(
        self, request: tsv1.UnlockTimeSkippingRequest, context: CallContext
    ) -> tsv1.UnlockTimeSkippingResponse:
        try:
            self.clock.unlock()
        except UnbalancedUnlock as error:
            raise UnbalancedUnlockError(str(error)) from None
        return tsv1.UnlockTimeSkippingResponse()

    @rpc
    async def Sleep(self, request: tsv1.SleepRequest, context: CallContext) -> tsv1.SleepResponse:
        """Return once virtual time has moved by the duration (without unlocking it)."""
        await self.clock.sleep_until(self.clock.now() + _duration(request))
        return tsv1.SleepResponse()

    @rpc
    async def SleepUntil(self, request: tsv1.SleepUntilRequest, context: CallContext) -> tsv1.SleepResponse:
        await self.clock.sleep_until(request.timestamp.ToNanoseconds() / 1e9)
        return tsv1.SleepResponse()

    @rpc
    async def UnlockTimeSkippingWithSleep(self, request: tsv1.SleepRequest, context: CallContext) -> tsv1.SleepResponse:
        """Unlock, wait for the duration of virtual time (it may skip), lock again."""
        try:
            await self.clock.unlock_while_sleeping(_duration(request))
        except UnbalancedUnlock as error:
            raise UnbalancedUnlockError(str(error)) from None
        return tsv1.SleepResponse()

    @rpc
    async def GetCurrentTime(self, request: empty_pb2.Empty, context: CallContext) -> tsv1.GetCurrentTimeResponse:
        return tsv1.GetCurrentTimeResponse(time=timestamp(self.clock.now()))


def _duration(request: tsv1.SleepRequest) -> float:
    seconds = seconds_of(request.duration)
    if seconds < 0:
        raise InvalidArgument("duration must not be negative")
    return seconds
