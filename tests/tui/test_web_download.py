"""`w` on a workflow saves its history; in a browser that is a download of the page itself.

textual-serve's page opened each delivered file in a new tab (``window.open``), which a
browser's popup blocker stops unless the key was pressed less than 5 s before the file
is ready: on a busy server or with a big history, `w` said "Saved" and nothing came. The
browser here blocks popups as people's do, and the download is checked with Playwright's
download event, for a key press the browser counts as the user's and for one it no longer
does (the file arriving after the 5 s).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sdk.client import Client
from tests.browser import chromium_browser, needs_chromium
from tests.servers import ServerProcess, free_port, tempo_server
from tests.tui.web_page import UiTab, open_ui_tab

pytestmark = [pytest.mark.browser, needs_chromium]

# A key press 5.5 s after the test's own call, when the browser no longer counts the page as
# touched by the user: what a slow answer to a real key press comes down to.
PRESS_W_WITHOUT_USER_ACTIVATION = """() => new Promise(resolve => setTimeout(() => {
    window.userActivationAtKey = navigator.userActivation.isActive;
    document.querySelector(".xterm-helper-textarea").dispatchEvent(new KeyboardEvent("keypress",
        {key: "w", code: "KeyW", charCode: 119, keyCode: 119, which: 119, bubbles: true}));
    resolve();
}, 5500))"""


@pytest.fixture
async def ui() -> AsyncIterator[tuple[ServerProcess, int, str]]:
    """A dev server with its web UI and one workflow: (server, UI port, the run's ID)."""
    ui_port = free_port()
    server = tempo_server("--ui-port", str(ui_port)).start()
    try:
        client = await Client.connect(server.address)
        handle = await client.start_workflow("Order", 7, id="save-me", task_queue="orders")
        await client.close()
        yield server, ui_port, handle.result_run_id or ""
    finally:
        server.stop()


async def open_the_workflow(tab: UiTab) -> None:
    await tab.wait_for_text("save-me")
    await tab.page.click("#terminal")
    shown = len(tab.frames)
    await tab.page.keyboard.press("Enter")
    await tab.wait_for_text("WorkflowExecutionStarted", after=shown)


def check_history_file(path: Path) -> None:
    """The file is the run's history as `temporal workflow show -o json` writes it."""
    events = json.loads(path.read_text())["events"]
    assert events[0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert events[0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"] == "Order"


@pytest.mark.parametrize("user_activation", [True, False], ids=["key-press", "key-press-answered-late"])
async def test_w_in_the_browser_downloads_the_history(
    ui: tuple[ServerProcess, int, str], user_activation: bool, tmp_path: Path
) -> None:
    _, ui_port, run_id = ui
    async with chromium_browser(popup_blocker=True) as browser:
        context = await browser.new_context(accept_downloads=True)
        tab = await open_ui_tab(context, ui_port)
        await open_the_workflow(tab)
        async with tab.page.expect_download(timeout=30_000) as download_info:
            if user_activation:
                await tab.page.keyboard.press("w")
            else:
                await tab.page.evaluate(PRESS_W_WITHOUT_USER_ACTIVATION)
        download = await download_info.value
        assert await download.failure() is None
        assert download.suggested_filename == f"save-me_{run_id}_history.json"
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
        check_history_file(saved)
        await tab.wait_for_text("Saved the history to download")
        if not user_activation:
            assert await tab.page.evaluate("window.userActivationAtKey") is False
        # The download came to this page: no tab opened for it.
        assert context.pages == [tab.page]
