"""A shipping workflow in the versions a team goes through to change it with a patch.

All versions share the type name ``Shipping``, so each replays the histories of the others:

- v1: the original code, before the change;
- v2: the change behind ``workflow.patched("express")`` (plus a patch deprecated in its
  second task, and a search attribute set on the new path);
- v3: every run takes the new path: ``workflow.deprecate_patch("express")``;
- v4: the patch call removed;
- renamed: v2 with the patch under another ID (a mistake).

The new path is visible in history: it upserts the memo and a search attribute before
the wait, which the old path does not.
"""

from __future__ import annotations

from typing import Any

from sdk import workflow
from sdk.common import SearchAttributeKey

SHIPPING_TAG = SearchAttributeKey.for_keyword("ShippingTag")
"""The keyword search attribute the new path sets (declare it on the server first)."""


async def _new_path() -> None:
    workflow.upsert_memo({"shipping": "express"})
    workflow.upsert_search_attributes([SHIPPING_TAG.value_set("express")])


@workflow.defn(name="Shipping")
class ShippingV1:
    @workflow.run
    async def run(self) -> list[Any]:
        await workflow.sleep(0.01)
        return ["v1"]


@workflow.defn(name="Shipping")
class ShippingV2:
    @workflow.run
    async def run(self) -> list[Any]:
        express = workflow.patched("express")
        if express:
            await _new_path()
        await workflow.sleep(0.01)
        workflow.deprecate_patch("legacy-rates")
        info = workflow.info()
        return [
            express,
            workflow.patched("express"),
            dict(info.search_attributes),
            info.typed_search_attributes.get(SHIPPING_TAG),
            dict(workflow.memo()),
        ]


@workflow.defn(name="Shipping")
class ShippingV3:
    @workflow.run
    async def run(self) -> list[Any]:
        workflow.deprecate_patch("express")
        await _new_path()
        await workflow.sleep(0.01)
        return ["v3"]


@workflow.defn(name="Shipping")
class ShippingV4:
    @workflow.run
    async def run(self) -> list[Any]:
        await _new_path()
        await workflow.sleep(0.01)
        return ["v4"]


@workflow.defn(name="Shipping")
class ShippingRenamed:
    @workflow.run
    async def run(self) -> list[Any]:
        if workflow.patched("express-shipping"):
            await _new_path()
        await workflow.sleep(0.01)
        return ["renamed"]


@workflow.defn(name="Checkout")
class CheckoutV1:
    """Waits for ``proceed``; the code before any patch."""

    def __init__(self) -> None:
        self.proceeding = False

    @workflow.run
    async def run(self) -> list[bool]:
        await workflow.wait_condition(lambda: self.proceeding)
        return []

    @workflow.signal
    def proceed(self) -> None:
        self.proceeding = True


@workflow.defn(name="Checkout")
class CheckoutV2(CheckoutV1):
    """Asks for one patch before the wait and another after it."""

    @workflow.run
    async def run(self) -> list[bool]:
        before = workflow.patched("fast-checkout")
        await workflow.wait_condition(lambda: self.proceeding)
        return [before, workflow.patched("fast-checkout"), workflow.patched("gift-wrap")]


@workflow.defn
class ManyPatches:
    """Takes 200 patches in one task: the list of them outgrows a search attribute's 2 KiB."""

    @workflow.run
    async def run(self) -> int:
        return sum(workflow.patched(f"patch-{n:03}") for n in range(200))
