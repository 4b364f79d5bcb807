"""Which exception a refused call becomes: decided by what failed, not by the words in the message.

A workflow's failing query handler comes back from both servers as INVALID_ARGUMENT with a
``QueryFailedFailure`` detail: that, and only that, is a :class:`WorkflowQueryFailedError`.
A list filter the server refuses is also INVALID_ARGUMENT, and its message says "query",
but it is the request that is wrong: an :class:`RPCError` with the server's reason.
"""

from __future__ import annotations

import uuid

import grpc
import pytest
from typer.testing import CliRunner

from sdk import Client
from sdk.exceptions import RPCError, WorkflowQueryFailedError
from tests.cli.tempo_entry import root

MALFORMED = "WorkflowType = "  # a filter with no value: both servers refuse it


async def test_a_refused_list_filter_is_an_rpc_error_not_a_query_failure(client: Client) -> None:
    with pytest.raises(RPCError) as listed:
        async for _ in client.list_workflows(MALFORMED):
            pass
    with pytest.raises(RPCError) as counted:
        await client.count_workflows(MALFORMED)
    with pytest.raises(RPCError) as paged:
        await client.list_workflows_page(MALFORMED)
    for caught in (listed, counted, paged):
        assert not isinstance(caught.value, WorkflowQueryFailedError)
        assert caught.value.status_code == grpc.StatusCode.INVALID_ARGUMENT
        assert str(caught.value).startswith("invalid query")  # the server's own reason


async def test_a_failing_query_handler_is_a_query_failure(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("Waiter", id=f"broken-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
    try:
        with pytest.raises(WorkflowQueryFailedError, match="this query is broken"):
            await handle.query("broken")
        assert await handle.query("count") == 0
        # An empty query type is a bad request, not a handler that failed.
        with pytest.raises(RPCError) as empty:
            await handle.query("")
        assert not isinstance(empty.value, WorkflowQueryFailedError)
        assert empty.value.status_code == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        await handle.terminate("test over")


@pytest.mark.parametrize("command", ["list", "count"])
def test_the_cli_names_a_refused_filter(server_address: str, command: str) -> None:
    result = CliRunner().invoke(
        root, ["workflow", command, "--query", MALFORMED, "--address", server_address], env={"TEMPORAL_ADDRESS": None}
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: the server refused --query {MALFORMED!r}: invalid query")
    assert "query failed" not in result.stderr
    assert result.stdout == ""
