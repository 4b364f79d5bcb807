"""The innermost links of an activity attempt's interceptor chain, and the chain itself.

Used by the activity worker and by the local activity runner alike, so an interceptor sees
both kinds of activity, as in the official SDK.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sdk import activity
from sdk.worker._interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

RunSync = Callable[[Callable[..., Any], Sequence[Any]], Awaitable[Any]]
"""Runs a plain function with its arguments in the worker's executor (in the caller's context)."""


class _RunActivity(ActivityInboundInterceptor):
    def __init__(self, run_sync: RunSync) -> None:
        super().__init__(self)
        self._run_sync = run_sync
        self.outbound: ActivityOutboundInterceptor | None = None

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        self.outbound = outbound

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        if inspect.iscoroutinefunction(input.fn):
            return await input.fn(*input.args)
        return await self._run_sync(input.fn, input.args)


class _ActivityCalls(ActivityOutboundInterceptor):
    def __init__(self, info: Callable[[], activity.Info], heartbeat: Callable[[tuple[Any, ...]], None]) -> None:
        super().__init__(self)
        self._info = info
        self._heartbeat = heartbeat

    def info(self) -> activity.Info:
        return self._info()

    def heartbeat(self, *details: Any) -> None:
        self._heartbeat(details)


def intercepted(
    interceptors: Sequence[Interceptor], context: activity._Context, run_sync: RunSync
) -> ActivityInboundInterceptor:
    """The attempt's chain (the first interceptor outermost), initialised; ``context``'s
    heartbeats and info now go through the outbound chain."""
    innermost = _RunActivity(run_sync)
    inbound: ActivityInboundInterceptor = innermost
    for interceptor in reversed(interceptors):
        inbound = interceptor.intercept_activity(inbound)
    real_info, real_heartbeat = context.info, context.heartbeat
    inbound.init(_ActivityCalls(lambda: real_info, real_heartbeat))
    outbound = innermost.outbound
    if outbound is not None and interceptors:
        context.heartbeat = lambda details: outbound.heartbeat(*details)
        context.outbound_info = outbound.info
    return inbound
