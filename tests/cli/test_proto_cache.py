"""`tempo`'s message classes from the descriptor cache (`tempo_cli._proto_cache`): the very
classes, enums and descriptors the generated `temporalio.api` modules make, whether a process
finds the cache or writes it, and a stale cache is written anew."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

# A process as `tempo` starts one: temporalio's __init__ deferred, then the cache.
LAZY_THEN_GENERATED = """
import json, sys
from tempo_cli._temporalio_api import defer_sdk_init
defer_sdk_init()
from tempo_cli import _proto_cache
installed = _proto_cache.install()
from temporalio.api.workflowservice.v1 import ListWorkflowExecutionsRequest, PollWorkflowTaskQueueResponse
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.enums.v1 import workflow_pb2
from temporalio.api.common.v1 import Payload
from google.protobuf.duration_pb2 import Duration
lazy = {
    "grpc": "grpc" in sys.modules,
    "python_layer": "google.protobuf.descriptor_pool" in sys.modules,
}
request = ListWorkflowExecutionsRequest(namespace="default", page_size=3, query="WorkflowType='x'")
queries = PollWorkflowTaskQueueResponse.QueriesEntry
facts = {
    "installed": installed,
    "running": [workflow_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING, WorkflowExecutionStatus.Name(2)],
    "nested": [queries.__module__, queries.__qualname__],
    "module": ListWorkflowExecutionsRequest.__module__,
    "duration": Duration(seconds=90).ToJsonString(),
}
encoded = request.SerializeToString()
# What the generated code makes: a private name runs the module's own code, a stub the
# package's real __init__, the official SDK everything.
from temporalio.api.workflowservice.v1 import request_response_pb2, WorkflowServiceStub
generated = request_response_pb2._LISTWORKFLOWEXECUTIONSREQUEST
import temporalio.client, temporalio.converter
from temporalio.api.common.v1 import message_pb2
payload = temporalio.converter.default().payload_converter.to_payloads([3])[0]
facts["same"] = [
    request_response_pb2.ListWorkflowExecutionsRequest is ListWorkflowExecutionsRequest,
    generated is ListWorkflowExecutionsRequest.DESCRIPTOR,
    message_pb2.Payload is Payload and type(payload) is Payload,
    request_response_pb2.PollWorkflowTaskQueueResponse.QueriesEntry is queries,
    ListWorkflowExecutionsRequest.FromString(encoded) == request,
]
facts["stub"] = WorkflowServiceStub.__name__
print(json.dumps({"lazy": lazy, "facts": facts}))
"""

GENERATED_SAME = [True, True, True, True, True]


def run_child(code: str, cache_home: Path) -> dict[str, object]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def cache_files(cache_home: Path) -> list[Path]:
    return sorted((cache_home / "tempo").glob("protos-*.marshal"))


def test_the_first_process_writes_the_cache_and_the_next_makes_the_same_classes_from_it(tmp_path: Path) -> None:
    first = run_child(LAZY_THEN_GENERATED, tmp_path)
    assert first["facts"] == {
        "installed": False,
        "running": [1, "WORKFLOW_EXECUTION_STATUS_COMPLETED"],
        "nested": ["temporalio.api.workflowservice.v1.request_response_pb2", "QueriesEntry"],
        "module": "temporalio.api.workflowservice.v1.request_response_pb2",
        "duration": "90s",
        "same": GENERATED_SAME,
        "stub": "WorkflowServiceStub",
    }
    assert len(cache_files(tmp_path)) == 1

    second = run_child(LAZY_THEN_GENERATED, tmp_path)
    assert second["facts"] == {**first["facts"], "installed": True}  # type: ignore[dict-item]
    # Made from the cache: neither protobuf's Python layers nor grpcio loaded for them.
    assert second["lazy"] == {"grpc": False, "python_layer": False}


def test_a_stale_cache_is_not_used_and_is_written_anew(tmp_path: Path) -> None:
    run_child(LAZY_THEN_GENERATED, tmp_path)
    [path] = cache_files(tmp_path)
    content = marshal.loads(path.read_bytes())
    name, entry = next(iter(content["files"].items()))
    content["files"][name] = (entry[0], entry[1], entry[2] + 1, *entry[3:])  # as if the SDK changed
    path.write_bytes(marshal.dumps(content))

    stale = run_child(LAZY_THEN_GENERATED, tmp_path)
    assert stale["facts"]["installed"] is False  # type: ignore[index]
    assert stale["facts"]["same"] == GENERATED_SAME  # type: ignore[index]
    assert run_child(LAZY_THEN_GENERATED, tmp_path)["facts"]["installed"] is True  # type: ignore[index]


@pytest.mark.parametrize("garbage", [b"", b"not marshal at all", marshal.dumps({"format": 1})])
def test_an_unreadable_cache_is_no_error(tmp_path: Path, garbage: bytes) -> None:
    run_child(LAZY_THEN_GENERATED, tmp_path)
    [path] = cache_files(tmp_path)
    path.write_bytes(garbage)
    assert run_child(LAZY_THEN_GENERATED, tmp_path)["facts"]["same"] == GENERATED_SAME  # type: ignore[index]
    assert run_child(LAZY_THEN_GENERATED, tmp_path)["facts"]["installed"] is True  # type: ignore[index]


def test_a_cache_directory_that_cannot_be_made_is_no_error(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "cache"
    not_a_directory.write_text("a file where the cache directory would be")
    for _ in range(2):
        assert run_child(LAZY_THEN_GENERATED, not_a_directory)["facts"]["installed"] is False  # type: ignore[index]
    assert not_a_directory.read_text() == "a file where the cache directory would be"
