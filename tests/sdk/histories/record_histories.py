"""Record the histories in this directory from the real Temporal dev server.

Run ``python -m tests.sdk.histories.record_histories`` after changing the
workflows in ``order_app.py``, ``flaky_app.py``, ``family_app.py`` or ``patch_app.py``; commit
the JSON it writes.
The files are what ``temporal workflow show -o json`` prints.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sdk.client import Client
from sdk.worker import Worker
from tests.sdk import family_app, flaky_app, patch_app
from tests.sdk.family_runs import our_worker
from tests.sdk.order_app import Order, OrderStatus, charge_customer, get_product, send_receipt
from tests.sdk.patch_runs import run_official, run_ours
from tests.servers import real_server, temporal_binary

HERE = Path(__file__).parent


def _save(address: str, workflow_id: str, name: str) -> None:
    out = subprocess.run(
        [temporal_binary(), "workflow", "show", "-w", workflow_id, "-o", "json", "--address", address],
        capture_output=True,
        check=True,
    ).stdout
    (HERE / name).write_bytes(out)


async def _record(address: str) -> None:
    client = await Client.connect(address)
    activities: list[Callable[..., Any]] = [get_product, charge_customer, send_receipt]
    async with Worker(
        client,
        task_queue="record",
        workflows=[Order, flaky_app.Flaky],
        activities=activities,
        activity_executor=ThreadPoolExecutor(4),
    ):
        order = await client.start_workflow(Order.run, 3, id="order", task_queue="record")
        while (await order.query(Order.get_status, result_type=OrderStatus)).state != "Charged":
            await asyncio.sleep(0.05)
        await order.signal(Order.picked_up)
        await order.signal(Order.delivered, "bob")
        await order.result()

        flaky_app.FAIL_NEXT_TASK["on"] = True
        flaky = await client.start_workflow(flaky_app.Flaky.run, id="flaky", task_queue="record")
        await flaky.signal(flaky_app.Flaky.add, "ann")
        await flaky.signal(flaky_app.Flaky.add, "ben")
        await flaky.result()
    _save(address, "order", "order.json")
    _save(address, "flaky", "flaky.json")

    async with our_worker(client, "record-family"):
        await client.start_workflow(family_app.FamilyChild.run, "wait", id="family-target", task_queue="record-family")
        for scenario in ("already_started", "external"):
            parent = await client.start_workflow(
                family_app.FamilyParent.run,
                scenario,
                "family-target",
                id=f"family-{scenario}",
                task_queue="record-family",
            )
            await parent.result()
            _save(address, f"family-{scenario}", f"family_{scenario}.json")


async def _record_patches(address: str) -> None:
    """The ``Shipping`` versions: v1 (before the patch), v2 (patched) and v3 (deprecated) by our
    SDK, and v2 by the official one."""
    client = await Client.connect(address)
    versions = {"v1": patch_app.ShippingV1, "v2": patch_app.ShippingV2, "v3": patch_app.ShippingV3}
    for version, workflow_class in versions.items():
        _, _, workflow_id = await run_ours(client, f"record-shipping-{version}", workflow_class)
        _save(address, workflow_id, f"shipping_{version}.json")
    _, _, workflow_id = await run_official(address, "record-shipping-official")
    _save(address, workflow_id, "shipping_v2_official.json")


def main() -> None:
    server = real_server().start(timeout=60)
    try:
        asyncio.run(_record(server.address))
        asyncio.run(_record_patches(server.address))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
