"""A browser tab on the web UI of `tempo server start-dev`, for the browser tests.

The terminal draws on a canvas, so a tab's text is what the TUI sent over the page's
websocket (the bytes the browser's terminal draws).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass
class UiTab:
    """A page on the UI and everything its session sent."""

    page: Any
    frames: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.frames)

    async def wait_for_text(self, text: str, *, after: int = 0, timeout: float = 60.0) -> None:
        """Wait until the session sends ``text`` (in frames from number ``after`` on)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text not in "".join(self.frames[after:]):
            assert loop.time() < deadline, f"the browser never received {text!r}"
            await asyncio.sleep(0.1)


async def open_ui_tab(context: Any, ui_port: int) -> UiTab:
    """Open the UI in a new page of ``context`` (a browser or a browser context) and wait
    until its session draws."""
    page = await context.new_page()
    tab = UiTab(page)

    def on_frame(frame: str | bytes) -> None:
        tab.frames.append(frame if isinstance(frame, str) else frame.decode("utf-8", "replace"))

    page.on("websocket", lambda socket: socket.on("framereceived", on_frame))
    for _ in range(100):  # the UI process binds just after the gRPC port opens
        try:
            await page.goto(f"http://127.0.0.1:{ui_port}/")
            break
        except Exception:
            await asyncio.sleep(0.2)
    await page.wait_for_selector("body.-first-byte", timeout=30_000)
    return tab
