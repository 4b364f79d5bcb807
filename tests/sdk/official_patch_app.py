"""``patch_app.ShippingV2`` written with the official SDK, under the same type name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey

SHIPPING_TAG = SearchAttributeKey.for_keyword("ShippingTag")


@workflow.defn(name="Shipping")
class ShippingV2:
    @workflow.run
    async def run(self) -> list[Any]:
        express = workflow.patched("express")
        if express:
            workflow.upsert_memo({"shipping": "express"})
            workflow.upsert_search_attributes([SHIPPING_TAG.value_set("express")])
        await workflow.sleep(timedelta(seconds=0.01))
        workflow.deprecate_patch("legacy-rates")
        info = workflow.info()
        return [
            express,
            workflow.patched("express"),
            dict(info.search_attributes),
            info.typed_search_attributes.get(SHIPPING_TAG),
            dict(workflow.memo()),
        ]
