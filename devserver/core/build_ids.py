"""The `BuildIds` search attribute the server keeps for every run, as the real server does.

Each completed workflow task adds the worker's build id (`unversioned:<id>`,
or `versioned:<id>` for a worker using versioning) after the `unversioned`
sentinel, so `BuildIds = 'unversioned'` finds runs processed by unversioned
workers. It changes the run's search attributes only; no history event.
"""

from __future__ import annotations

import functools
import json

from temporalio.api.common.v1 import message_pb2 as common

BUILD_IDS = "BuildIds"
UNVERSIONED = "unversioned"
_SENTINEL_PREFIXES = ("assigned:", "pinned:")


def record(search_attributes: common.SearchAttributes, stamp: common.WorkerVersionStamp | None) -> None:
    """Add what a completed workflow task's worker version says to BuildIds (`stamp`: the
    completed event's worker_version, None when the worker sent none)."""
    versioned = stamp is not None and stamp.use_versioning
    entry = ""
    if stamp is not None and stamp.build_id:
        entry = ("versioned:" if versioned else "unversioned:") + stamp.build_id
    elif stamp is not None:
        entry = UNVERSIONED
    existing = search_attributes.indexed_fields.get(BUILD_IDS)
    data = _updated(existing.data if existing is not None else b"", entry, versioned)
    if data is not None:
        payload = search_attributes.indexed_fields[BUILD_IDS]
        payload.Clear()
        payload.metadata["encoding"] = b"json/plain"
        payload.metadata["type"] = b"KeywordList"
        payload.data = data


# Every workflow task completed asks this with the same few values (its run's BuildIds so
# far, the worker's entry): the answers are kept.
@functools.lru_cache(maxsize=256)
def _updated(data: bytes, entry: str, versioned: bool) -> bytes | None:
    """The BuildIds payload's new data after adding `entry`, or None when it stays as it is."""
    existing = _load(data)
    values = [] if versioned else [UNVERSIONED]
    values.extend(v for v in existing if v != UNVERSIONED and not v.startswith(_SENTINEL_PREFIXES))
    if entry and entry not in existing:
        values.append(entry)
    if values == existing:
        return None
    return json.dumps(values, separators=(",", ":")).encode()


def _load(data: bytes) -> list[str]:
    if not data:
        return []
    try:
        value = json.loads(data)
    except ValueError:
        return []
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
