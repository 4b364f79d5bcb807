"""Task tokens: opaque to workers, decoded and checked by the server.

A token names the task it was issued for (run, task sequence or scheduled event,
attempt). A token for a task that is no longer outstanding is *stale* (NOT_FOUND);
bytes that are not a token at all are garbage (INVALID_ARGUMENT), as on Temporal.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from devserver.errors import InvalidArgument

# Tokens are the prefix, then JSON: a list of the fields in order. Tokens a server before
# 2026-12 handed out (a worker may hold one across a restart with `--db-filename` and an
# upgrade) are an object of the fields by name, and still read.
_PREFIX = b"tempo2:"
_OLD_PREFIX = b"tempo1:"
_FIELD_COUNT = 7
# One encoder and decoder for every token: `json.dumps` with options makes an encoder per call.
_encode_json = json.JSONEncoder(separators=(",", ":")).encode
_decode_json = json.JSONDecoder().decode


class TaskToken(NamedTuple):
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
        # One is made for every task handed out; its worker hands it back soon, to be decoded.
        raw = _PREFIX + _encode_json(self).encode()
        _remember(raw, self)
        return raw

    @staticmethod
    def decode(raw: bytes) -> TaskToken:
        token = _RECENT.get(raw)
        if token is None:
            token = _decode(raw)
            _remember(raw, token)
        return token


# Tokens are immutable: those handed out lately, and those read lately (a token is decoded
# where its namespace is checked, then again by its handler), are kept decoded. Garbage
# raises, and is not kept. Oldest first: the first to go when there are too many.
_RECENT: dict[bytes, TaskToken] = {}
_RECENT_KEPT = 1024


def _remember(raw: bytes, token: TaskToken) -> None:
    _RECENT[raw] = token
    if len(_RECENT) > _RECENT_KEPT:
        del _RECENT[next(iter(_RECENT))]


def _decode(raw: bytes) -> TaskToken:
    try:
        if raw.startswith(_PREFIX):
            fields = _decode_json(raw[len(_PREFIX) :].decode())
            if not isinstance(fields, list) or len(fields) != _FIELD_COUNT:
                raise ValueError("not a token's fields")
            token = TaskToken(*fields)
        elif raw.startswith(_OLD_PREFIX):
            named = json.loads(raw[len(_OLD_PREFIX) :])
            if not isinstance(named, dict):
                raise ValueError("not a token's fields")
            token = TaskToken(**named)
        else:
            raise ValueError("not a token")
    except (ValueError, TypeError) as exc:
        raise InvalidArgument("Error deserializing task token.") from exc
    if token.kind not in ("workflow", "activity", "query"):
        raise InvalidArgument("Error deserializing task token.")
    return token
