"""Time skipping in the TUI (issue 19): on `tempo server start-dev --time-skipping` the header
shows the server's virtual time once it is ahead, and `f` on the Workflow screen skips to the
run's next timer; on servers without the TestService the key says it is unavailable."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from sdk.worker import Worker
from tempo_cli.tui.app import TempoApp
from tests.servers import tempo_server
from tests.timeskipping.apps import MONTH_LONG, SleepRetryWait, fails_once
from tests.timeskipping.sdk_testing_apps import Sleeper
from tests.tui.conftest import SIZE, connect, open_run, unique, wait_for

HOUR = 3600.0


@pytest.fixture(scope="module")
def skipping_address() -> Iterator[str]:
    server = tempo_server("--time-skipping").start(timeout=60)
    try:
        yield server.address
    finally:
        server.kill()


def messages(app: TempoApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_f_skips_to_the_next_timer_and_the_header_shows_the_server_time(
    skipping_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await connect(skipping_address)
    task_queue = unique("tq-skip")
    workflow_id = unique("tui-skip")
    try:
        async with Worker(client, task_queue=task_queue, workflows=[Sleeper]):
            handle = await client.start_workflow(Sleeper.run, 3 * HOUR, id=workflow_id, task_queue=task_queue)
            app = make_app(skipping_address)
            async with app.run_test(size=SIZE) as pilot:
                screen = await open_run(pilot, app, workflow_id)
                await wait_for(
                    pilot, lambda: "TimerStarted" in [r.type_name for r in screen.history._rows], "the timer"
                )
                assert "server time" not in str(app.sub_title)

                await pilot.press("f")
                await wait_for(pilot, lambda: any("skipped" in m for m in messages(app)), "the skip")
                skipped = next(m for m in messages(app) if "skipped" in m)
                assert re.fullmatch(r"skipped (2h 59m|3h 00m) to timer \S+", skipped), skipped
                await wait_for(pilot, lambda: not screen.is_open, "the run to complete after its timer")
                assert await handle.result() >= 3 * HOUR
                await wait_for(pilot, lambda: "server time" in str(app.sub_title), "the server time in the header")
                assert re.search(r"server time \S+ \S+ \(\+(2h 59m|3h 00m)\)", str(app.sub_title)), app.sub_title

                await pilot.press("f")
                await wait_for(pilot, lambda: any("run is closed" in m for m in messages(app)), "the closed run")
    finally:
        await client.close()


async def test_f_walks_a_run_through_its_timer_retry_backoff_and_timer(
    skipping_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await connect(skipping_address)
    task_queue = unique("tq-walk")
    workflow_id = unique("tui-walk")
    durations = [MONTH_LONG.sleep, MONTH_LONG.backoff, MONTH_LONG.timer]
    try:
        async with Worker(client, task_queue=task_queue, workflows=[SleepRetryWait], activities=[fails_once]):
            handle = await client.start_workflow(SleepRetryWait.run, durations, id=workflow_id, task_queue=task_queue)
            app = make_app(skipping_address)
            async with app.run_test(size=SIZE) as pilot:
                screen = await open_run(pilot, app, workflow_id)

                async def skip(expected: str, seen: int) -> None:
                    await pilot.press("f")
                    await wait_for(pilot, lambda: len([m for m in messages(app) if "skipped" in m]) > seen, expected)
                    said = [m for m in messages(app) if "skipped" in m][-1]
                    assert re.fullmatch(expected, said), said

                def rows() -> list[str]:
                    return [r.type_name for r in screen.history._rows]

                await wait_for(pilot, lambda: "TimerStarted" in rows(), "the first timer")
                await skip(r"skipped (29d 23h|30d 00h) to timer \S+", 0)
                await wait_for(pilot, lambda: "ActivityTaskScheduled" in rows(), "the activity")
                for _ in range(300):  # its first attempt fails: it waits out the backoff
                    pending = (await handle.describe()).raw_description.pending_activities
                    if pending and pending[0].next_attempt_schedule_time.ToNanoseconds():
                        break
                    await pilot.pause(0.1)
                await skip(r"skipped (59m \d\ds|1h 00m) to retry of fails_once \(\S+\)", 1)
                await wait_for(pilot, lambda: rows().count("TimerStarted") == 2, "the second timer")
                await skip(r"skipped (6d 23h|7d 00h) to timer \S+", 2)
                assert await handle.result() == "done on attempt 2"
    finally:
        await client.close()


async def test_f_says_time_skipping_is_unavailable_without_the_test_service(
    server_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await connect(server_address)
    workflow_id = unique("tui-noskip")
    handle = await client.start_workflow("Nobody", id=workflow_id, task_queue=unique("tq-nobody"))
    try:
        app = make_app(server_address)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_run(pilot, app, workflow_id)
            await pilot.press("f")
            await wait_for(pilot, lambda: any("unavailable" in m for m in messages(app)), "the unavailable note")
            assert any("--time-skipping" in m for m in messages(app))
            assert app.server_clock.available is False
            assert "server time" not in str(app.sub_title)
            assert screen.is_open and app.screen is screen  # nothing else changed
            assert not [n for n in app._notifications if n.severity == "error"]
    finally:
        await handle.terminate("done")
        await client.close()
