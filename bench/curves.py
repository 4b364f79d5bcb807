"""Scale curves: how Tempo's costs grow with the store, a history and idle clients, next to
the real dev server's, each figure at 1x, 10x and 100x (times ``--scale``).

- completed workflows in the store: first page of ``ListWorkflowExecutions`` and a filtered
  ``CountWorkflowExecutions`` (p50), server RSS, and start-up time with ``--db-filename``;
- one history of 1,000 / 10,000 / 50,000 events: fetch time, and the RSS of a process
  replaying it with our ``sdk``;
- 10 / 100 / 1,000 concurrent task-queue long polls, and 100 / 1,000 schedules: the server's
  idle CPU.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.history.v1 import message_pb2 as history_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from bench.children import run_child
from bench.harness import (
    NAMESPACE,
    Figure,
    Report,
    at_most,
    complete_workflows,
    create_schedules,
    idle_cpu_percent,
    long_polls,
    make_server,
    pid_of,
    ready_seconds,
    rss_mib,
    run_async,
    running,
    stub,
    timed_p50,
)
from bench.load import Sizes

FILLED_TYPE = "BenchDone"
COUNT_QUERY = f"WorkflowType = '{FILLED_TYPE}' AND ExecutionStatus = 'Completed'"
LIST_PAGE = 100
STORE_TARGET_MS = 50.0
KIB_PER_CLOSED_RUN = 1.0
POLLER_TARGET_PERCENT = 2.0


# --- completed workflows in the store -------------------------------------------------------


async def _wait_for_count(address: str, expected: int, timeout: float = 120) -> int:
    """Visibility may lag behind (the real server's does): wait until the count is right."""
    channel, service = stub(address)
    deadline = time.monotonic() + timeout
    try:
        while True:
            count = (
                await service.CountWorkflowExecutions(
                    wsv1.CountWorkflowExecutionsRequest(namespace=NAMESPACE, query=COUNT_QUERY), timeout=30
                )
            ).count
            if count >= expected or time.monotonic() > deadline:
                return int(count)
            await asyncio.sleep(0.5)
    finally:
        await channel.close()


async def _store_figures(address: str, repeats: int) -> dict[str, Any]:
    channel, service = stub(address)
    rows: list[int] = []

    async def list_page() -> None:
        page = await service.ListWorkflowExecutions(
            wsv1.ListWorkflowExecutionsRequest(namespace=NAMESPACE, page_size=LIST_PAGE), timeout=60
        )
        rows.append(len(page.executions))

    async def count() -> None:
        await service.CountWorkflowExecutions(
            wsv1.CountWorkflowExecutionsRequest(namespace=NAMESPACE, query=COUNT_QUERY), timeout=60
        )

    try:
        return {
            "list_p50_ms": 1000 * await timed_p50(list_page, repeats),
            "count_p50_ms": 1000 * await timed_p50(count, repeats),
            "list_rows": rows[-1],
        }
    finally:
        await channel.close()


def _store_curve(report: Report, kind: str, db: Path | None, sizes: Sizes) -> list[dict[str, Any]]:
    server = make_server(kind, db)
    points: list[dict[str, Any]] = []
    server.start(timeout=120)
    try:
        time.sleep(1)
        filled = 0
        points.append({"workflows": 0, "rss_mib": rss_mib(pid_of(server))})
        for level in sizes.store_levels:
            done = run_async(complete_workflows(server.address, level - filled, FILLED_TYPE))
            if done < level - filled:
                report.failed(f"store/{kind}: {level - filled - done} of {level - filled} workflows not completed")
            filled += done
            visible = run_async(_wait_for_count(server.address, filled))
            if visible != filled:
                report.failed(f"store/{kind}: count says {visible} completed workflows, {filled} were completed")
            point: dict[str, Any] = {"workflows": filled, "counted": visible}
            point.update(run_async(_store_figures(server.address, sizes.repeats)))
            point["rss_mib"] = rss_mib(pid_of(server))
            if db is not None:
                server.stop()
                point["startup_s"] = ready_seconds(server)
                time.sleep(1)
                point["rss_after_restart_mib"] = rss_mib(pid_of(server))
                if run_async(_wait_for_count(server.address, filled, timeout=30)) != filled:
                    report.failed(f"store/{kind}: after a restart the count is not {filled}")
            points.append(point)
            print(f"  store {kind} {'db' if db else 'memory'}: {point}", flush=True)
    finally:
        server.stop()
    return points


def store(report: Report, sizes: Sizes, tmp: Path) -> None:
    print(f"store: {sizes.store_levels} completed workflows ...", flush=True)
    curves: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for mode in ("memory", "db"):
        for kind in ("tempo", "real"):
            db = tmp / f"store-{kind}.db" if mode == "db" else None
            try:
                curves[(kind, mode)] = _store_curve(report, kind, db, sizes)
            except Exception as err:
                report.failed(f"store/{kind}/{mode}: {type(err).__name__}: {err}")
                curves[(kind, mode)] = []
    report.raw["store"] = {f"{kind}/{mode}": points for (kind, mode), points in curves.items()}
    top = sizes.store_levels[-1]

    def at(kind: str, mode: str, i: int, name: str) -> float | None:
        points = curves[(kind, mode)]
        return points[i + 1].get(name) if len(points) > i + 1 else None

    for mode, label in (("memory", "in memory"), ("db", "with --db-filename")):
        for name, what in (
            ("list_p50_ms", f"list, first page of {LIST_PAGE}, p50"),
            ("count_p50_ms", "filtered count p50"),
        ):
            for i, level in enumerate(sizes.store_levels):
                figure = report.add(
                    Figure(
                        "store",
                        f"{what} {label}, {level:,} completed workflows",
                        "ms",
                        at("tempo", mode, i, name),
                        at("real", mode, i, name),
                        f"under {STORE_TARGET_MS:g} ms at 100,000" if level == top else "",
                    )
                )
                if level == top:
                    figure.met = at_most(figure.tempo, STORE_TARGET_MS)
                    if level < 100_000:
                        figure.note = f"measured at {level:,}; the target is at 100,000"
        for i, level in enumerate(sizes.store_levels):
            report.add(
                Figure(
                    "store",
                    f"server RSS {label}, {level:,} completed workflows",
                    "MiB",
                    at("tempo", mode, i, "rss_mib"),
                    at("real", mode, i, "rss_mib"),
                )
            )
    for i, level in enumerate(sizes.store_levels):
        report.add(
            Figure(
                "store",
                f"start-up with --db-filename to first GetSystemInfo, {level:,} completed workflows",
                "ms",
                _ms(at("tempo", "db", i, "startup_s")),
                _ms(at("real", "db", i, "startup_s")),
            )
        )
    growth = {kind: _kib_per_run(curves[(kind, "memory")]) for kind in ("tempo", "real")}
    figure = report.add(
        Figure(
            "store",
            "RSS growth per closed workflow in memory (between the last two levels)",
            "KiB",
            growth["tempo"],
            growth["real"],
            f"at most {KIB_PER_CLOSED_RUN:g} KB",
        )
    )
    figure.met = at_most(figure.tempo, KIB_PER_CLOSED_RUN)


def _kib_per_run(points: list[dict[str, Any]]) -> float | None:
    # What each further closed run costs: measured from the second-to-last level, not from the
    # first, whose growth to the next holds what fills once and then stays (Tempo keeps the
    # last 512 closed runs as objects, run_table.RECENT_AT_REST: about 2 MiB, a quarter KiB a run
    # from 100 to 10,000).
    if len(points) < 3 or points[-1]["workflows"] == points[-2]["workflows"]:
        return None
    return 1024 * (points[-1]["rss_mib"] - points[-2]["rss_mib"]) / (points[-1]["workflows"] - points[-2]["workflows"])


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else 1000 * seconds


# --- long histories -------------------------------------------------------------------------


async def _record_batches(address: str, events: int) -> tuple[str, int]:
    """Run Batches with our sdk's worker until its history has about ``events`` events."""
    from bench.sdk_app import Batches, step
    from sdk import Client, Worker

    width = max(1, min(50, events // 10))
    batches = max(1, round(events / (3 * width + 6)))
    client = await Client.connect(address)
    queue = f"bench-history-{uuid.uuid4().hex[:8]}"
    try:
        async with Worker(client, task_queue=queue, workflows=[Batches], activities=[step]):
            result = await client.execute_workflow(Batches.run, args=[batches, width], id=queue, task_queue=queue)
    finally:
        await client.close()
    if result != batches * width:
        raise RuntimeError(f"Batches returned {result}, not {batches * width}")
    return queue, batches * width


async def _fetch(address: str, workflow_id: str) -> history_pb.History:
    channel, service = stub(address)
    history = history_pb.History()
    token = b""
    try:
        while True:
            page = await service.GetWorkflowExecutionHistory(
                wsv1.GetWorkflowExecutionHistoryRequest(
                    namespace=NAMESPACE,
                    execution=common.WorkflowExecution(workflow_id=workflow_id),
                    next_page_token=token,
                ),
                timeout=120,
            )
            history.events.extend(page.history.events)
            token = page.next_page_token
            if not token:
                return history
    finally:
        await channel.close()


async def _fetch_p50(address: str, workflow_id: str, repeats: int) -> tuple[float, history_pb.History]:
    fetched: list[history_pb.History] = []

    async def one() -> None:
        fetched.append(await _fetch(address, workflow_id))

    seconds = await timed_p50(one, repeats)
    return seconds, fetched[-1]


# A Batches run overshoots the events it aims at by a few percent (how many workflow tasks a
# batch takes depends on when its activities finish): the full run's 50,000 would pass the
# servers' default history count limit (51,200 events, after which the run is terminated).
_LONG_HISTORIES = ("--dynamic-config-value", "limit.historyCount.error=200000")


def histories(report: Report, sizes: Sizes, tmp: Path) -> None:
    print(f"histories: about {sizes.history_events} events ...", flush=True)
    raw: dict[str, Any] = {}
    for kind in ("tempo", "real"):
        with running(make_server(kind, flags=_LONG_HISTORIES)) as server:
            for target in sizes.history_events:
                key = f"{kind}/{target}"
                try:
                    workflow_id, _ = run_async(_record_batches(server.address, target))
                    seconds, history = run_async(_fetch_p50(server.address, workflow_id, 3))
                except (grpc.RpcError, RuntimeError) as err:
                    report.failed(f"history {key}: {type(err).__name__}: {err}")
                    continue
                raw[key] = {"events": len(history.events), "fetch_s": seconds}
                if kind == "tempo":
                    path = tmp / f"history-{target}.bin"
                    path.write_bytes(history.SerializeToString())
                    replayed = run_child({"kind": "replay-rss", "history": str(path)})
                    if "error" in replayed:
                        report.failed(f"replay of history {key}: {replayed['error']}")
                    raw[key]["replay"] = replayed
                print(f"  history {key}: {raw[key]}", flush=True)
    report.raw["histories"] = raw
    for target in sizes.history_events:
        tempo, real = raw.get(f"tempo/{target}", {}), raw.get(f"real/{target}", {})
        events = tempo.get("events") or real.get("events") or target
        report.add(
            Figure(
                "histories",
                f"fetch a {events:,}-event history (all pages), p50",
                "ms",
                _ms(tempo.get("fetch_s")),
                _ms(real.get("fetch_s")),
                note=f"{real['events']:,} events on the real server" if real.get("events", events) != events else "",
            )
        )
        replay = tempo.get("replay", {})
        report.add(
            Figure(
                "histories",
                f"peak RSS replaying it with our sdk ({events:,} events)",
                "MiB",
                replay.get("peak_rss_mib"),
                note=(
                    f"{replay['rss_before_mib']:.0f} MiB before loading it, replay {replay['replay_s']:.2f} s"
                    if "replay_s" in replay
                    else ""
                ),
            )
        )


# --- idle clients ---------------------------------------------------------------------------


async def _poller_curve(address: str, pid: int, counts: list[int], seconds: float) -> dict[str, Any]:
    points: dict[str, Any] = {"0": await idle_cpu_percent(pid, seconds)}
    for count in counts:
        async with long_polls(address, count) as errors:
            await asyncio.sleep(2 + count / 500)  # every poll has arrived
            points[str(count)] = await idle_cpu_percent(pid, seconds)
            points[f"{count}_errors"] = list(errors[:3])
            points[f"{count}_error_count"] = len(errors)
    return points


async def _schedule_curve(address: str, pid: int, counts: list[int], seconds: float) -> dict[str, Any]:
    points: dict[str, Any] = {"0": await idle_cpu_percent(pid, seconds)}
    created = 0
    for count in counts:
        created += await create_schedules(address, count - created)
        points[f"{count}_created"] = created
        await asyncio.sleep(3)
        points[str(count)] = await idle_cpu_percent(pid, seconds)
    return points


def idle_clients(report: Report, sizes: Sizes) -> None:
    print(f"idle CPU: {sizes.pollers} pollers, {sizes.schedules} schedules ...", flush=True)
    curves: dict[str, dict[str, Any]] = {}
    for kind in ("tempo", "real"):
        with running(make_server(kind)) as server:
            time.sleep(2)
            curves[f"pollers/{kind}"] = run_async(
                _poller_curve(server.address, pid_of(server), sizes.pollers, sizes.idle_seconds)
            )
            print(f"  pollers {kind}: {curves[f'pollers/{kind}']}", flush=True)
            for count in sizes.pollers:
                if curves[f"pollers/{kind}"][f"{count}_error_count"]:
                    report.failed(f"pollers/{kind}/{count}: {curves[f'pollers/{kind}'][f'{count}_errors']}")
        with running(make_server(kind)) as server:
            time.sleep(2)
            curves[f"schedules/{kind}"] = run_async(
                _schedule_curve(server.address, pid_of(server), sizes.schedules, sizes.idle_seconds)
            )
            print(f"  schedules {kind}: {curves[f'schedules/{kind}']}", flush=True)
            for count in sizes.schedules:
                made = curves[f"schedules/{kind}"][f"{count}_created"]
                if made != count:
                    report.failed(f"schedules/{kind}: {made} of {count} schedules created")
    report.raw["idle_clients"] = curves
    top = sizes.pollers[-1]
    for count in [0, *sizes.pollers]:
        figure = report.add(
            Figure(
                "idle CPU",
                f"server idle CPU with {count:,} task-queue long polls",
                "% of a core",
                curves["pollers/tempo"].get(str(count)),
                curves["pollers/real"].get(str(count)),
                f"under {POLLER_TARGET_PERCENT:g}% with 1,000" if count == top else "",
            )
        )
        if count == top:
            figure.met = None if figure.tempo is None else figure.tempo < POLLER_TARGET_PERCENT
            if count < 1000:
                figure.note = f"measured with {count:,}; the target is at 1,000"
    for count in [0, *sizes.schedules]:
        report.add(
            Figure(
                "idle CPU",
                f"server idle CPU with {count:,} schedules",
                "% of a core",
                curves["schedules/tempo"].get(str(count)),
                curves["schedules/real"].get(str(count)),
            )
        )
