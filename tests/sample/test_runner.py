"""`python -m sample_food_delivery`: its mistakes and failures get one clear line, and the
pages work even while the server is down."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.sample.support import SampleProcess, unique_task_queue
from tests.servers import free_port


def run_sample(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sample_food_delivery", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_a_port_in_use_is_one_line_naming_the_flag() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_sample("menu", "--menu-port", str(port))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use (choose another port with --menu-port)"
    ]


def test_no_server_is_one_line() -> None:
    address = f"127.0.0.1:{free_port()}"
    result = run_sample("worker", "--address", address, "--server-wait", "0")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: worker: cannot reach a server at {address} — is `tempo server start-dev` running?"
    )
    assert "Traceback" not in result.stderr


def test_an_unknown_namespace_is_one_line(tempo_address: str) -> None:
    result = run_sample("worker", "--address", tempo_address, "--namespace", "no-such-namespace")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("error: worker: ")
    assert "no-such-namespace" in result.stderr and "Traceback" not in result.stderr


def test_bad_options_are_refused_before_anything_starts() -> None:
    result = run_sample("--menu-port", "0")
    assert result.returncode == 2
    assert "argument --menu-port: expected a port number (1-65535), got '0'" in result.stderr
    result = run_sample("kitchen")
    assert result.returncode == 2
    assert "expected worker, menu, driver or all, got 'kitchen'" in result.stderr
    result = run_sample(env={"FOOD_DELIVERY_FAILURE_RATE": "2"})
    assert result.returncode == 2
    assert "argument --failure-rate: expected a number from 0 to 1, got '2'" in result.stderr


def test_the_pages_load_while_the_server_is_down(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    sample = SampleProcess(address, unique_task_queue(), tmp_path / "apps.log", ("menu", "driver")).start()
    try:
        menu = httpx.get(sample.menu)
        assert menu.status_code == 200 and "Order Burrata" in menu.text
        assert httpx.get(sample.driver).status_code == 200
        placed = httpx.post(f"{sample.menu}/api/orders", json={"productId": 2})
        assert placed.status_code == 503
        assert placed.json() == {"error": f"Cannot reach the Temporal server at {address}. Is it running?"}
        assert httpx.get(f"{sample.driver}/api/orders").status_code == 503
    finally:
        assert sample.stop() == 0
    assert "Traceback" not in sample.output()


async def test_run_parts_in_process_until_the_trigger(tempo_address: str) -> None:
    """The runner as a library: all three parts in this event loop, stopped by a trigger."""
    import asyncio

    from sample_food_delivery.activities import FailureSettings
    from sample_food_delivery.runner import run_parts
    from sample_food_delivery.settings import Settings

    settings = Settings(
        address=tempo_address,
        task_queue=unique_task_queue(),
        menu_port=free_port(),
        driver_port=free_port(),
        failures=FailureSettings(rate=0),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run_parts(settings, ("worker", "menu", "driver"), stop.wait))
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                placed = await http.post(f"{settings.menu_url}/api/orders", json={"productId": 4})
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
        assert placed.status_code == 201
        order_id = placed.json()["orderId"]
        for _ in range(300):
            status = (await http.get(f"{settings.menu_url}/api/orders/{order_id}")).json()
            if status["state"] == "Paid":
                break
            await asyncio.sleep(0.1)
        assert status["state"] == "Paid"
        orders = (await http.get(f"{settings.driver_url}/api/orders")).json()["orders"]
        assert [o["orderId"] for o in orders] == [order_id]
    stop.set()
    await asyncio.wait_for(running, timeout=30)
