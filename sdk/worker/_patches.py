"""Patches (``workflow.patched`` / ``workflow.deprecate_patch``), as the official SDKs record them.

A patch is a RecordMarker command named ``core_patch`` whose ``patch-data`` detail is the JSON
``{"id":...,"deprecated":...}``, followed by an upsert of the ``TemporalChangeVersion``
search attribute listing every patch the run has taken, sorted: the official SDK's core
writes exactly these, so each SDK replays the other's histories. The upsert is guarded, as in
the core, by internal flag 2 ("upsert search attribute on patch"), which a workflow task
completion records in its ``sdk_metadata``: histories written before the flag existed have no
upserts, and a replay must then make none.

Replay rules (the core's): a replaying ``patched(id)`` is True only if the history recorded
the patch; the first answer for an ID holds for the rest of the run; a deprecated patch's
marker (and its upsert) that the code no longer asks for is skipped when commands are matched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2
from temporalio.api.history.v1 import message_pb2 as history

EventType = event_type_pb2.EventType
CommandType = command_type_pb2.CommandType

PATCH_MARKER_NAME = "core_patch"
PATCH_DETAILS_KEY = "patch-data"
CHANGE_VERSION_ATTRIBUTE = "TemporalChangeVersion"
UPSERT_ON_PATCH_FLAG = 2
"""The core's internal flag under which a patch also upserts ``TemporalChangeVersion``."""
MAX_SEARCH_ATTRIBUTE_BYTES = 2048
"""The server's default limit on one search attribute value; the core skips a larger upsert."""


def marker_command(patch_id: str, deprecated: bool) -> command_pb.Command:
    """The RecordMarker command of a patch."""
    # Field order as the core's serde writes it, so the bytes are the same.
    data = json.dumps({"id": patch_id, "deprecated": deprecated}, separators=(",", ":")).encode()
    payload = common.Payload(metadata={"encoding": b"json/plain"}, data=data)
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_RECORD_MARKER,
        record_marker_command_attributes=command_pb.RecordMarkerCommandAttributes(
            marker_name=PATCH_MARKER_NAME,
            details={PATCH_DETAILS_KEY: common.Payloads(payloads=[payload])},
        ),
    )


def _patch_of_details(marker_name: str, details: object) -> tuple[str, bool] | None:
    if marker_name != PATCH_MARKER_NAME:
        return None
    payloads = details.get(PATCH_DETAILS_KEY) if hasattr(details, "get") else None
    if payloads is None or not payloads.payloads:
        return None
    try:
        decoded = json.loads(payloads.payloads[0].data)
    except ValueError:
        return None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("id"), str):
        return None
    return decoded["id"], bool(decoded.get("deprecated", False))


def patch_of_event(event: history.HistoryEvent) -> tuple[str, bool] | None:
    """``(patch ID, deprecated)`` of a patch marker event; None for any other event."""
    if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
        return None
    attrs = event.marker_recorded_event_attributes
    return _patch_of_details(attrs.marker_name, attrs.details)


def patch_of_command(command: command_pb.Command) -> tuple[str, bool] | None:
    """``(patch ID, deprecated)`` of a patch's RecordMarker command; None for any other."""
    if command.command_type != CommandType.COMMAND_TYPE_RECORD_MARKER:
        return None
    attrs = command.record_marker_command_attributes
    return _patch_of_details(attrs.marker_name, attrs.details)


def change_version_upsert(patch_ids: Sequence[str]) -> command_pb.Command | None:
    """The upsert listing the run's patches; None when the list is over the size limit
    (the core then skips it, with a warning)."""
    data = json.dumps(sorted(set(patch_ids)), separators=(",", ":")).encode()
    if len(data) >= MAX_SEARCH_ATTRIBUTE_BYTES:
        return None
    payload = common.Payload(metadata={"encoding": b"json/plain", "type": b"KeywordList"}, data=data)
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        upsert_workflow_search_attributes_command_attributes=command_pb.UpsertWorkflowSearchAttributesCommandAttributes(
            search_attributes=common.SearchAttributes(indexed_fields={CHANGE_VERSION_ATTRIBUTE: payload})
        ),
    )


def is_change_version_upsert(event: history.HistoryEvent) -> bool:
    """Whether ``event`` is the upsert a patch writes (``TemporalChangeVersion`` alone)."""
    if event.event_type != EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        return False
    fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    return list(fields) == [CHANGE_VERSION_ATTRIBUTE]


def mismatch_hint(event: history.HistoryEvent | None) -> str:
    """What to do when replay stops at ``event``: a patch the code no longer asks for."""
    patch = patch_of_event(event) if event is not None else None
    if patch is None or patch[1]:
        return ""
    return (
        f"; the history recorded patch {patch[0]!r}: keep workflow.patched({patch[0]!r}) or "
        f"workflow.deprecate_patch({patch[0]!r}) where it was until no run from before remains"
    )


def skippable_deprecated_patch(events: Sequence[history.HistoryEvent], index: int) -> int:
    """How many events from ``events[index]`` a replay may skip when the code makes no matching
    command: a deprecated patch's marker and the upsert right after it; 0 for anything else."""
    patch = patch_of_event(events[index])
    if patch is None or not patch[1]:
        return 0
    follows = index + 1 < len(events) and is_change_version_upsert(events[index + 1])
    return 2 if follows else 1


class Patches:
    """The patch state of one run: which IDs it took, what history recorded, what to send."""

    def __init__(self, add_command: Callable[[command_pb.Command], None]) -> None:
        self._add_command = add_command
        self._answers: dict[str, bool] = {}
        self._taken: list[str] = []
        self._in_history: set[str] = set()
        self._replaying = False
        self._flag_in_history = False
        self._flag_used_live = False
        self.flags_to_record: list[int] = []
        """Internal flags this workflow task used for the first time (in any of its activations:
        local activities add some): its completion records them, then takes them away."""

    def begin(
        self, replaying: bool, expected: Sequence[history.HistoryEvent] | None, core_flags: frozenset[int]
    ) -> None:
        """Take in what the history says about the workflow task about to run."""
        self._replaying = replaying
        if UPSERT_ON_PATCH_FLAG in core_flags:
            self._flag_in_history = True
        for event in expected or ():
            patch = patch_of_event(event)
            if patch is not None:
                self._in_history.add(patch[0])

    def patch(self, patch_id: str, deprecated: bool) -> bool:
        """Answer ``patched``/``deprecate_patch`` and send the commands of a patch taken now."""
        answer = self._answers.get(patch_id)
        if answer is not None:
            return answer
        answer = not self._replaying or patch_id in self._in_history
        self._answers[patch_id] = answer
        if not answer:
            return False
        self._taken.append(patch_id)
        self._add_command(marker_command(patch_id, deprecated))
        if self._replaying:
            upsert = self._flag_in_history
        else:
            upsert = True
            if not self._flag_in_history and not self._flag_used_live:
                self.flags_to_record.append(UPSERT_ON_PATCH_FLAG)
            self._flag_used_live = True
        command = change_version_upsert(self._taken) if upsert else None
        if command is not None:
            self._add_command(command)
        return True


def match_marker_or_upsert(command: command_pb.Command, event: history.HistoryEvent) -> bool | None:
    """Whether a marker, upsert or memo command matches its event; None for other commands.

    A patch marker matches on its ID (deprecated or not: ``deprecate_patch`` replays a
    history of ``patched``). Upserts match on the names they change, not the values: what
    a replay must reproduce is the decision to change them, and the payload bytes may differ
    between SDKs (a ``TemporalChangeVersion`` list is the run's patches so far).
    """
    if command.HasField("record_marker_command_attributes"):
        attrs = event.marker_recorded_event_attributes
        if command.record_marker_command_attributes.marker_name != attrs.marker_name:
            return False
        ours, theirs = patch_of_command(command), patch_of_event(event)
        return ours is None or theirs is None or ours[0] == theirs[0]
    if command.HasField("upsert_workflow_search_attributes_command_attributes"):
        ours_names = command.upsert_workflow_search_attributes_command_attributes.search_attributes.indexed_fields
        theirs_names = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        return sorted(ours_names) == sorted(theirs_names)
    if command.HasField("modify_workflow_properties_command_attributes"):
        ours_keys = command.modify_workflow_properties_command_attributes.upserted_memo.fields
        theirs_keys = event.workflow_properties_modified_event_attributes.upserted_memo.fields
        return sorted(ours_keys) == sorted(theirs_keys)
    return None


def _detail(marker_name: str, patch: tuple[str, bool] | None, names: Sequence[str] | None) -> str:
    if patch is not None:
        return f" patch_id={patch[0]!r}" + (" deprecated" if patch[1] else "")
    if names is not None:
        return f" names={sorted(names)!r}"
    return f" marker_name={marker_name!r}" if marker_name else ""


def event_detail(event: history.HistoryEvent) -> str:
    """What identifies a marker, upsert or memo event in a nondeterminism message."""
    if event.HasField("marker_recorded_event_attributes"):
        return _detail(event.marker_recorded_event_attributes.marker_name, patch_of_event(event), None)
    if event.HasField("upsert_workflow_search_attributes_event_attributes"):
        fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        return _detail("", None, list(fields))
    if event.HasField("workflow_properties_modified_event_attributes"):
        return _detail("", None, list(event.workflow_properties_modified_event_attributes.upserted_memo.fields))
    return ""


def command_detail(command: command_pb.Command) -> str:
    """What identifies a marker, upsert or memo command in a nondeterminism message."""
    if command.HasField("record_marker_command_attributes"):
        return _detail(command.record_marker_command_attributes.marker_name, patch_of_command(command), None)
    if command.HasField("upsert_workflow_search_attributes_command_attributes"):
        fields = command.upsert_workflow_search_attributes_command_attributes.search_attributes.indexed_fields
        return _detail("", None, list(fields))
    if command.HasField("modify_workflow_properties_command_attributes"):
        return _detail("", None, list(command.modify_workflow_properties_command_attributes.upserted_memo.fields))
    return ""
