"""Stopping `tempo server start-dev` stops its web UI and every browser session's `tempo tui`
at once, however the server is stopped.

A server stopped with `kill PID` (SIGTERM or SIGINT to it alone) took 10 s and left the
sessions' processes running, orphaned; Ctrl-C in its terminal (SIGINT to the whole process
group) did not. The process table tells which processes the server started and whether any
is left.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from tests.browser import chromium_browser, needs_chromium
from tests.process_tree import ProcessEntry, descendants, kill_all, still_running
from tests.servers import free_port, tempo_server
from tests.tui.web_page import open_ui_tab

pytestmark = [pytest.mark.browser, needs_chromium]

PROMPT = 3.0
"""Seconds within which the server has exited (about 0.5 s on an idle machine)."""


async def wait_for_sessions(server_pid: int, count: int) -> list[ProcessEntry]:
    """The server's descendants once ``count`` browser sessions run their `tempo tui`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:
        processes = descendants(server_pid)
        sessions = [p for p in processes if " tui --address " in p.command]
        if len(sessions) == count:
            return processes
        assert loop.time() < deadline, f"{count} sessions never started: {processes}"
        await asyncio.sleep(0.1)


async def wait_until_gone(processes: list[ProcessEntry], timeout: float = 10.0) -> list[ProcessEntry]:
    """Those of ``processes`` still running after up to ``timeout`` seconds (generous: the UI
    runs at `nice 10`, so on a machine busy with other tests it ends slowly, but it ends)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := still_running(processes)) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return left


@pytest.mark.parametrize(
    ("signum", "whole_group"),
    [
        (signal.SIGTERM, False),
        (signal.SIGINT, False),
        (signal.SIGINT, True),  # Ctrl-C in the server's terminal
        (signal.SIGKILL, False),  # no chance to clean up: the children end by themselves
    ],
    ids=["kill-TERM", "kill-INT", "ctrl-c", "kill-KILL"],
)
async def test_stopping_the_server_leaves_no_process_behind(signum: signal.Signals, whole_group: bool) -> None:
    ui_port = free_port()
    server = tempo_server("--ui-port", str(ui_port)).start()
    assert server.proc is not None
    started: list[ProcessEntry] = []
    try:
        async with chromium_browser() as browser:
            tabs = [await open_ui_tab(browser, ui_port) for _ in range(2)]
            started = await wait_for_sessions(server.proc.pid, 2)

            before = time.monotonic()
            if whole_group:
                os.killpg(server.proc.pid, signum)
            else:
                server.proc.send_signal(signum)
            server.proc.wait(timeout=30)
            took = time.monotonic() - before

            assert took < PROMPT, f"the server took {took:.1f} s to exit"
            assert server.proc.returncode == (-signal.SIGKILL if signum == signal.SIGKILL else 0)
            left = await wait_until_gone(started)
            assert left == [], f"left running: {[p.command for p in left]}"
            for tab in tabs:  # the page says so, and offers a new session
                await tab.page.wait_for_selector("body.-closed", timeout=10_000)
    finally:
        server.stop()
        kill_all(started)
