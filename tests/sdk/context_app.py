"""Workflows that read ``workflow.info()`` and change their search attributes and memo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sdk import workflow
from sdk.client import RetryPolicy
from sdk.common import SearchAttributeKey
from sdk.exceptions import ApplicationError

SHIPPING_TAG = SearchAttributeKey.for_keyword("ShippingTag")
PARCEL_COUNT = SearchAttributeKey.for_int("ParcelCount")


@workflow.defn
class Tagger:
    """Sets, changes and removes search attributes and memo over two workflow tasks."""

    @workflow.run
    async def run(self, tag: str) -> list[Any]:
        seen: list[Any] = [dict(workflow.memo())]
        workflow.upsert_search_attributes([SHIPPING_TAG.value_set("draft"), PARCEL_COUNT.value_set(1)])
        workflow.upsert_memo({"stage": "packing", "note": "fragile"})
        info = workflow.info()
        seen.append([info.typed_search_attributes.get(SHIPPING_TAG), info.typed_search_attributes.get(PARCEL_COUNT)])
        await workflow.sleep(0.01)
        workflow.upsert_search_attributes([SHIPPING_TAG.value_set(tag), PARCEL_COUNT.value_unset()])
        workflow.upsert_memo({"stage": "shipped", "note": None})
        info = workflow.info()
        seen.append(dict(info.search_attributes))
        seen.append(PARCEL_COUNT in info.typed_search_attributes)
        seen.append(dict(workflow.memo()))
        seen.append(workflow.memo_value("missing", "default"))
        return seen


@workflow.defn
class InfoReporter:
    """Fails its first attempt; the second reports what ``workflow.info()`` says."""

    @workflow.run
    async def run(self) -> dict[str, Any]:
        info = workflow.info()
        if info.attempt == 1:
            raise ApplicationError("first attempt broke", type="Broken")
        await workflow.sleep(0.01)
        info = workflow.info()
        last_failure = workflow.get_last_failure()
        return {
            "attempt": info.attempt,
            "parent": [info.parent.workflow_id, info.parent.run_id, info.parent.namespace] if info.parent else None,
            "root": [info.root.workflow_id, info.root.run_id] if info.root else None,
            "history_length": info.get_current_history_length(),
            "history_size": info.get_current_history_size(),
            "continue_as_new_suggested": info.is_continue_as_new_suggested(),
            "cron_schedule": info.cron_schedule,
            "search_attributes": dict(info.search_attributes),
            "memo": dict(workflow.memo()),
            "last_failure": str(last_failure) if last_failure else None,
            "has_last_completion_result": workflow.has_last_completion_result(),
            "retry_maximum_attempts": info.retry_policy.maximum_attempts if info.retry_policy else None,
            "task_timeout": info.task_timeout.total_seconds(),
        }


@workflow.defn
class InfoParent:
    """Runs :class:`InfoReporter` as its child and returns its report and its own IDs."""

    @workflow.run
    async def run(self, child_id: str) -> list[Any]:
        report = await workflow.execute_child_workflow(
            InfoReporter.run,
            id=child_id,
            retry_policy=RetryPolicy(maximum_attempts=2, initial_interval=timedelta(milliseconds=100)),
            memo={"customer": "ann"},
            search_attributes={SHIPPING_TAG.name: "child"},
        )
        return [report, workflow.info().workflow_id, workflow.info().run_id]


@workflow.defn
class InfoEcho:
    """Reports what a cron run learns from its start event and its workflow task."""

    @workflow.run
    async def run(self) -> list[Any]:
        info = workflow.info()
        return [
            info.cron_schedule,
            workflow.has_last_completion_result(),
            workflow.get_last_completion_result(),
            info.is_continue_as_new_suggested(),
            info.get_current_history_size(),
            info.get_current_history_length(),
        ]


@workflow.defn
class BadUpsert:
    """Passes search attributes in the dict form, which this SDK refuses."""

    @workflow.run
    async def run(self) -> None:
        workflow.upsert_search_attributes({"ShippingTag": ["x"]})  # type: ignore[arg-type]
