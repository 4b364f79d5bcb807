"""Retention: closed runs are removed once their namespace's retention has passed.

The real server deletes a closed run (its history, mutable state and visibility
record) `workflow_execution_retention_ttl` after it closed; 24 hours for the dev
server's namespaces unless registered otherwise. Without this a dev server used for
a day keeps every run it ever had, and its database file only grows. With
`--db-filename` the freed pages are reused, so the file stops growing.

The reaper looks for expired runs every half of the shortest retention (at most
every minute) and removes them through `RunOps.delete`, as
DeleteWorkflowExecution does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.common.v1 import message_pb2 as common

from devserver.core.protos import seconds_of
from devserver.engine import Engine
from devserver.errors import ServiceError
from devserver.run_ops import RunOps

log = logging.getLogger("tempo.retention")

LONGEST_PAUSE = 60.0
SHORTEST_PAUSE = 0.5


class RetentionReaper:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.run_ops = RunOps(engine)
        self._task: asyncio.Task[None] | None = None
        self.removed = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _retention(self, namespace: str) -> float | None:
        found = self.engine.namespaces.namespaces.get(namespace)
        if found is None:
            return None
        retention = seconds_of(found.config.workflow_execution_retention_ttl)
        return retention if retention > 0 else None

    def pause(self) -> float:
        retentions = [self._retention(name) for name in self.engine.namespaces.namespaces]
        shortest = min((r for r in retentions if r is not None), default=2 * LONGEST_PAUSE)
        return max(SHORTEST_PAUSE, min(LONGEST_PAUSE, shortest / 2))

    def expired(self) -> list[tuple[str, common.WorkflowExecution]]:
        """(namespace, execution) of every closed run whose retention has passed."""
        now = self.engine.clock.now()
        found: list[tuple[str, common.WorkflowExecution]] = []
        # From visibility, which has every run's close time: closed runs at rest stay in the store.
        for record in list(self.engine.visibility.all_records()):
            close = record.close_micros
            if close is None:
                continue
            retention = self._retention(record.namespace)
            if retention is not None and close / 1e6 + retention <= now:
                execution = common.WorkflowExecution(workflow_id=record.workflow_id, run_id=record.run_id)
                found.append((record.namespace, execution))
        return found

    async def sweep(self) -> int:
        """Remove every run whose retention has passed; how many were removed."""
        removed = 0
        for namespace, execution in self.expired():
            if self.engine.closing:
                break
            try:
                await self.run_ops.delete(
                    wsv1.DeleteWorkflowExecutionRequest(namespace=namespace, workflow_execution=execution)
                )
            except ServiceError as error:  # deleted meanwhile, or the store is failing
                log.debug("retention: %s %s not removed: %s", namespace, execution.workflow_id, error.message)
                continue
            removed += 1
        self.removed += removed
        if removed:
            log.info("retention: removed %d closed runs", removed)
        return removed

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last_sweep = loop.time()
        while not self.engine.closing:
            # Wake often enough to notice a namespace registered with a short retention.
            await asyncio.sleep(SHORTEST_PAUSE)
            if loop.time() - last_sweep >= self.pause():
                await self.sweep()
                last_sweep = loop.time()
