"""The `BuildIds` search attribute the server keeps for every run, as the real server does.

Each completed workflow task adds the worker's build id (`unversioned:<id>`,
or `versioned:<id>` for a worker using versioning) after the `unversioned`
sentinel, so `BuildIds = 'unversioned'` finds runs processed by unversioned
workers. It changes the run's search attributes only; no history event.
"""

from __future__ import annotations

import json

from temporalio.api.common.v1 import message_pb2 as common

BUILD_IDS = "BuildIds"
UNVERSIONED = "unversioned"
_SENTINEL_PREFIXES = ("assigned:", "pinned:")


def record(search_attributes: common.SearchAttributes, stamp: common.WorkerVersionStamp | None) -> None:
    """Add what a completed workflow task's worker version says to BuildIds (`stamp`: the
    completed event's worker_version, None when the worker sent none)."""
    existing = _load(search_attributes)
    values = [] if stamp is not None and stamp.use_versioning else [UNVERSIONED]
    entry = ""
    if stamp is not None:
        if not stamp.build_id:
            entry = UNVERSIONED
        else:
            entry = ("versioned:" if stamp.use_versioning else "unversioned:") + stamp.build_id
    values.extend(v for v in existing if v != UNVERSIONED and not v.startswith(_SENTINEL_PREFIXES))
    if entry and entry not in existing:
        values.append(entry)
    if values != existing:
        payload = search_attributes.indexed_fields[BUILD_IDS]
        payload.Clear()
        payload.metadata["encoding"] = b"json/plain"
        payload.metadata["type"] = b"KeywordList"
        payload.data = json.dumps(values, separators=(",", ":")).encode()


def _load(search_attributes: common.SearchAttributes) -> list[str]:
    payload = search_attributes.indexed_fields.get(BUILD_IDS)
    if payload is None or not payload.data:
        return []
    try:
        value = json.loads(payload.data)
    except ValueError:
        return []
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
