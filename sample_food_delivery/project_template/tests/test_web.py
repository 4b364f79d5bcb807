"""The sample as a user runs it: `python -m sample_food_delivery`, driven through its HTTP API.

One process runs the worker, the menu and the driver portal; the test orders on
the menu, picks the order up and delivers it on the driver portal, and sees
"Delivered" on both; then Ctrl-C stops all three.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port, wait_for_port

PROJECT = Path(__file__).resolve().parents[1]


@dataclass
class RunningSample:
    process: subprocess.Popen[str]
    menu: str
    driver: str
    log: Path

    def call(self, method: str, url: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def stop(self) -> int:
        """Ctrl-C, as a user stops it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture
def sample(temporal_address: str, task_queue: str, tmp_path: Path) -> Iterator[RunningSample]:
    menu_port, driver_port = free_port(), free_port()
    log = tmp_path / "sample.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sample_food_delivery",
                "--address",
                temporal_address,
                "--task-queue",
                task_queue,
                "--menu-port",
                str(menu_port),
                "--driver-port",
                str(driver_port),
                "--rating-delay",
                "1",
                "--failure-rate",
                "0",
            ],
            cwd=PROJECT,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = RunningSample(process, f"http://127.0.0.1:{menu_port}", f"http://127.0.0.1:{driver_port}", log)
    try:
        wait_for_port(menu_port, process)
        wait_for_port(driver_port, process)
        yield running
    finally:
        running.stop()


def eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout}s: {what}")


def test_an_order_through_the_http_api(sample: RunningSample) -> None:
    status, placed = sample.call("POST", f"{sample.menu}/api/orders", {"productId": 3})
    assert status == 201, placed
    order_id = placed["orderId"]

    def menu_state() -> dict[str, Any]:
        return sample.call("GET", f"{sample.menu}/api/orders/{order_id}")[1]

    def driver_row() -> dict[str, Any] | None:
        orders = sample.call("GET", f"{sample.driver}/api/orders")[1]["orders"]
        return next((o for o in orders if o["orderId"] == order_id), None)

    eventually(lambda: menu_state()["state"] == "Paid", "the order is paid")
    eventually(lambda: (driver_row() or {}).get("state") == "Paid", "the driver portal lists the paid order")
    assert sample.call("POST", f"{sample.driver}/api/orders/{order_id}/pickup")[0] == 202
    eventually(lambda: menu_state()["state"] == "Picked up", "the order is picked up")
    assert sample.call("POST", f"{sample.driver}/api/orders/{order_id}/deliver")[0] == 202
    delivered = eventually(lambda: (s := menu_state())["state"] == "Delivered" and s, "the order is delivered")
    assert delivered["productId"] == 3 and delivered["deliveredAt"]
    row = eventually(lambda: (r := driver_row()) and r["closed"] and r, "the order completes")
    assert (row["state"], row["workflowStatus"]) == ("Delivered", "Completed")

    assert sample.stop() == 0
    log = sample.log.read_text()
    for prefix in ("worker |", "menu   |", "driver |"):
        assert prefix in log, log
    assert f"order {order_id} placed" in log and "stopped" in log


def test_bad_requests_get_clear_answers(sample: RunningSample) -> None:
    status, body = sample.call("POST", f"{sample.menu}/api/orders", b"not json")
    assert (status, body) == (400, {"error": 'Send a JSON body like {"productId": 2}.'})
    status, body = sample.call("POST", f"{sample.menu}/api/orders", {"productId": 99})
    assert (status, body) == (404, {"error": "There is no product 99 on the menu."})
    status, body = sample.call("GET", f"{sample.menu}/api/orders/no-such-order")
    assert (status, body) == (404, {"error": "No order no-such-order."})
    status, body = sample.call("POST", f"{sample.driver}/api/orders/no-such-order/pickup")
    assert (status, body) == (404, {"error": "No order no-such-order."})
