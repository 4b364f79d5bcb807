"""Task tokens: opaque to workers, decoded and checked by the server.

A token names the task it was issued for (run, task sequence or scheduled event,
attempt). A token for a task that is no longer outstanding is *stale* (NOT_FOUND);
bytes that are not a token at all are garbage (INVALID_ARGUMENT), as on Temporal.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from devserver.errors import InvalidArgument

_PREFIX = b"tempo1:"


@dataclass(frozen=True)
class TaskToken:
    """What a task token names: the task's kind, its run and which task of the run."""

    kind: str  # "workflow", "activity" or "query"
    namespace: str
    workflow_id: str
    run_id: str
    # workflow: the workflow task's sequence number; activity: scheduled event id.
    ref: int = 0
    attempt: int = 0
    # activity: activity id; query: query id.
    name: str = ""

    def encode(self) -> bytes:
        # Its fields are flat: `vars` holds them in order, as `asdict` would copy them (at a
        # tenth of the cost: one token is made for every task handed out).
        return _PREFIX + json.dumps(vars(self), separators=(",", ":")).encode()

    @staticmethod
    def decode(raw: bytes) -> TaskToken:
        return _decode(raw)


# A token is decoded where its namespace is checked, then again by its handler; tokens are
# immutable, so the few in flight are kept decoded. Garbage raises, and is not kept.
@functools.lru_cache(maxsize=256)
def _decode(raw: bytes) -> TaskToken:
    if not raw.startswith(_PREFIX):
        raise InvalidArgument("Error deserializing task token.")
    try:
        fields = json.loads(raw[len(_PREFIX) :])
        token = TaskToken(**fields)
    except (ValueError, TypeError) as exc:
        raise InvalidArgument("Error deserializing task token.") from exc
    if token.kind not in ("workflow", "activity", "query"):
        raise InvalidArgument("Error deserializing task token.")
    return token
