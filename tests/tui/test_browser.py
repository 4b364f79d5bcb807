"""The TUI in a real browser: `tempo server start-dev` serves it at --ui-port (textual-serve),
Debian's chromium opens the page and receives the workflow list.

The terminal draws on a canvas, so the test reads what the TUI sent over the page's
websocket (the bytes the browser's terminal draws) to find the workflow ID, and checks
every request of the page stayed on our server (it works with no internet). The
screenshot goes to ``docs/images/tui-browser.png`` for the README when
``TEMPO_UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
from pathlib import Path

import pytest

from sdk.client import Client
from tests.browser import chromium_browser, needs_chromium
from tests.servers import free_port, tempo_server

# Its waits (a server, chromium, the UI's two processes, the list, the picture) add up to more
# than the suite's 120 s on a machine busy with the rest of the suite.
pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.timeout(300)]

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

README_IMAGE = Path(__file__).parents[2] / "docs" / "images" / "tui-browser.png"

UI_WAIT = 180.0
"""Seconds the page gets, from its first request, to show the workflow list: the UI process
starts with the first visitor and each tab's `tempo tui` with the tab, both at `nice 10`, so
on a machine busy with other tests they get a small share of the CPU. One deadline for the
whole way (page, first byte, list), under the test's own timeout, so a list that never
arrives shows what the page drew instead."""

PICTURE_WAIT = 30.0
"""Seconds the page's canvas gets to draw what the socket brought (it lags the socket on a
busy machine)."""


async def test_start_dev_serves_the_tui_to_a_browser(tmp_path: Path) -> None:
    ui_port = free_port()
    server = tempo_server("--ui-port", str(ui_port)).start(timeout=60)
    try:
        client = await Client.connect(server.address)
        for i in range(3):
            await client.start_workflow("Order", i, id=f"order-{i}", task_queue="orders")
        await client.start_workflow("Order", 7, id="browser-sees-me", task_queue="orders")
        await client.close()

        # The terminal's output comes in binary frames, cut anywhere (in a character, in an
        # escape sequence); the text frames between them are the page's own messages (pongs).
        received: list[bytes] = []
        requests: list[str] = []

        def drawn() -> str:
            return ANSI_ESCAPE.sub("", b"".join(received).decode("utf-8", "replace"))

        async with chromium_browser() as browser:
            page = await browser.new_page(viewport={"width": 1280, "height": 760})
            page.on("request", lambda request: requests.append(request.url))
            page.on(
                "websocket",
                lambda ws: ws.on(
                    "framereceived", lambda frame: received.append(frame) if isinstance(frame, bytes) else None
                ),
            )
            url = f"http://127.0.0.1:{ui_port}/"
            loop = asyncio.get_running_loop()
            deadline = loop.time() + UI_WAIT
            while True:  # the UI port opens just after the gRPC port
                try:
                    await page.goto(url, timeout=(deadline - loop.time()) * 1000)
                    break
                except Exception:
                    if loop.time() > deadline:
                        raise
                    await asyncio.sleep(0.2)
            await page.wait_for_selector("body.-first-byte", timeout=max(deadline - loop.time(), 1.0) * 1000)
            # Frames are seen from when the listener is in place, which on a busy machine can be
            # after the TUI drew its whole screen; from then on it sends only what changes (the
            # counts, the page line). A resize makes it draw everything again: one every 5 s
            # while the list is not seen. The ID's start: a narrow layout may cut the rest.
            next_redraw, heights = loop.time() + 5, itertools.cycle((780, 760))
            while "browser-sees" not in drawn():
                if loop.time() > deadline:
                    screen = drawn()[-2000:]
                    raise AssertionError(f"the workflow list never reached the browser; it last drew:\n{screen}")
                if loop.time() > next_redraw:
                    await page.set_viewport_size({"width": 1280, "height": next(heights)})
                    next_redraw = loop.time() + 5
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # let the terminal finish drawing before the screenshot
            shot = tmp_path / "tui-browser.png"
            # A picture of a page that has drawn the TUI is far larger than of a blank one; the
            # canvas draws the frames on its own time, so a busy machine's may still be blank.
            drawn_by = loop.time() + PICTURE_WAIT
            await page.screenshot(path=str(shot))
            while shot.stat().st_size <= 10_000 and loop.time() < drawn_by:
                await asyncio.sleep(0.5)
                await page.screenshot(path=str(shot))

        assert shot.stat().st_size > 10_000
        outside = [u for u in requests if not u.startswith((f"http://127.0.0.1:{ui_port}/", "ws://", "data:"))]
        assert outside == [], f"the page fetched from elsewhere: {outside}"
        if os.environ.get("TEMPO_UPDATE_SCREENSHOTS") == "1":
            README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, README_IMAGE)
    finally:
        server.stop()
