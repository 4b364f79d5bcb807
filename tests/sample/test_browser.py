"""The walkthrough in a real browser: order on the menu, pick up and deliver on the driver
portal, see Delivered on both pages; then the CLI shows the order's history and status.

Set SAMPLE_SCREENSHOTS_DIR (e.g. to docs/images) to keep the screenshots the README shows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import chromium_browser, needs_chromium
from tests.sample.support import SampleProcess, connected, unique_task_queue

pytestmark = [pytest.mark.browser, needs_chromium]

# The order's story as the walkthrough tells it: (event type, a detail it must show).
WALKTHROUGH = [
    ("WorkflowExecutionStarted", "workflowType=order"),
    ("ActivityTaskScheduled", "activityType=chargeCustomer"),
    ("ActivityTaskCompleted", ""),
    ("TimerStarted", ""),  # waiting up to a minute for a driver
    ("WorkflowExecutionSignaled", "name=pickedUp"),
    ("TimerCanceled", ""),
    ("ActivityTaskScheduled", "activityType=sendPushNotification"),
    ("TimerStarted", ""),  # waiting for the delivery
    ("WorkflowExecutionSignaled", "name=delivered"),
    ("TimerCanceled", ""),
    ("ActivityTaskScheduled", "activityType=sendPushNotification"),
    ("TimerStarted", ""),  # before asking for a rating
    ("TimerFired", ""),
    ("ActivityTaskScheduled", "activityType=sendPushNotification"),
    ("WorkflowExecutionCompleted", ""),
]


def tempo(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tempo_cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def follows_walkthrough(show_output: str) -> list[tuple[str, str]]:
    """The walkthrough's steps not found, in order, in `tempo workflow show` text output."""
    rows = []
    for line in show_output.splitlines()[1:]:
        fields = line.split(None, 3)
        if len(fields) >= 3 and fields[0].isdigit():
            rows.append((fields[2], fields[3] if len(fields) > 3 else ""))
    steps = iter(WALKTHROUGH)
    step = next(steps, None)
    for event_type, details in rows:
        if step is not None and event_type == step[0] and step[1] in details:
            step = next(steps, None)
    return [] if step is None else [step, *steps]


@pytest.mark.timeout(300)
async def test_order_pick_up_and_deliver_in_a_browser(tempo_address: str, tmp_path: Path) -> None:
    from playwright.async_api import expect

    sample = SampleProcess(
        tempo_address,
        unique_task_queue(),
        tmp_path / "sample.log",
        options=("--failure-rate", "0", "--rating-delay", "2"),
    ).start()
    client = await connected(tempo_address)
    try:
        async with chromium_browser() as browser:
            context = await browser.new_context(viewport={"width": 1100, "height": 600})
            menu = await context.new_page()
            await menu.goto(sample.menu)
            await menu.get_by_role("button", name="Order Burrata").click()
            card = menu.locator(".order-card").first
            await expect(card.locator(".badge")).to_have_text("Paid", timeout=30_000)
            order_id = await card.get_attribute("data-order-id")
            assert order_id is not None and re.fullmatch(r"order-[0-9a-f]{12}", order_id), order_id

            driver = await context.new_page()
            await driver.goto(sample.driver)
            row = driver.locator(f'tr[data-order-id="{order_id}"]')
            await expect(row.locator(".badge")).to_have_text("Paid", timeout=30_000)
            await row.get_by_role("button", name="Pick up").click()
            await expect(row.locator(".badge")).to_have_text("Picked up", timeout=30_000)
            await row.get_by_role("button", name="Deliver").click()
            await expect(row.locator(".badge")).to_have_text("Delivered", timeout=30_000)
            await expect(card.locator(".badge")).to_have_text("Delivered", timeout=30_000)
            await expect(card.locator(".delivered")).to_be_visible()

            # A second order, still waiting for a driver, for pictures that show both states.
            await menu.get_by_role("button", name="Order Poke").click()
            second = menu.locator(".order-card").first
            await expect(second.locator(".badge")).to_have_text("Paid", timeout=30_000)
            second_id = await second.get_attribute("data-order-id")
            await expect(driver.locator(f'tr[data-order-id="{second_id}"]').get_by_role("button")).to_have_text(
                "Pick up", timeout=30_000
            )
            await expect(row).to_have_class("closed", timeout=30_000)  # the first order completed
            await menu.screenshot(path=str(tmp_path / "sample-menu.png"), full_page=True)
            await driver.screenshot(path=str(tmp_path / "sample-driver.png"), full_page=True)
        assert sample.stop() == 0
    finally:
        sample.stop()
    for name in ("sample-menu.png", "sample-driver.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
        if os.environ.get("SAMPLE_SCREENSHOTS_DIR"):
            shutil.copy(tmp_path / name, Path(os.environ["SAMPLE_SCREENSHOTS_DIR"]) / name)

    history = tempo("workflow", "show", "--workflow-id", order_id, "--address", tempo_address)
    assert follows_walkthrough(history) == [], history
    assert "refundOrder" not in history

    # The query is answered by a worker that starts fresh, with nothing cached.
    worker = SampleProcess(tempo_address, sample.task_queue, tmp_path / "worker.log", ("worker",)).start()
    try:
        status = json.loads(
            tempo("workflow", "query", "--workflow-id", order_id, "--name", "getStatus", "--address", tempo_address)
        )
    finally:
        worker.stop()
    assert status["state"] == "Delivered" and status["productId"] == 2 and status["deliveredAt"]
    await client.get_workflow_handle(second_id or "").terminate("test finished")
    await client.close()


@pytest.mark.timeout(300)
async def test_the_driver_picks_up_while_the_worker_is_down(tempo_address: str, tmp_path: Path) -> None:
    """Kill -9 the worker mid-order: the pages say so, Pick up still works, and the order
    carries on when a worker is back."""
    from playwright.async_api import expect

    task_queue = unique_task_queue()
    quick = ("--failure-rate", "0", "--rating-delay", "1")
    apps = SampleProcess(tempo_address, task_queue, tmp_path / "apps.log", ("menu", "driver"), quick).start()
    worker = SampleProcess(tempo_address, task_queue, tmp_path / "worker-1.log", ("worker",), quick).start()
    try:
        async with chromium_browser() as browser:
            context = await browser.new_context()
            menu = await context.new_page()
            await menu.goto(apps.menu)
            await menu.get_by_role("button", name="Order Potatoes").click()
            card = menu.locator(".order-card").first
            await expect(card.locator(".badge")).to_have_text("Paid", timeout=30_000)
            order_id = await card.get_attribute("data-order-id")
            driver = await context.new_page()
            await driver.goto(apps.driver)
            row = driver.locator(f'tr[data-order-id="{order_id}"]')
            await expect(row.locator(".badge")).to_have_text("Paid", timeout=30_000)

            worker.kill()
            await expect(card.locator(".problem")).to_have_text(
                "No worker answered. Is the worker running?", timeout=30_000
            )
            await expect(row.locator(".problem")).to_be_visible(timeout=30_000)
            await expect(row.locator(".badge")).to_have_text("Paid")
            await row.get_by_role("button", name="Pick up").click()
            await expect(row.get_by_role("button")).to_have_text("Picking up…")

            worker = SampleProcess(tempo_address, task_queue, tmp_path / "worker-2.log", ("worker",), quick).start()
            await expect(card.locator(".badge")).to_have_text("Picked up", timeout=60_000)
            await expect(card.locator(".problem")).to_be_hidden()
            await expect(row.locator(".badge")).to_have_text("Picked up", timeout=30_000)
            await row.get_by_role("button", name="Deliver").click()
            await expect(card.locator(".badge")).to_have_text("Delivered", timeout=30_000)
    finally:
        worker.stop()
        apps.stop()
    assert "charged $15.00 for Potatoes" in (tmp_path / "worker-1.log").read_text()
    assert "charged" not in (tmp_path / "worker-2.log").read_text()
