"""The Workflows screen's status tabs and query errors, against both servers: an empty
namespace counts 0 (not "…" forever), and a refused query's position points into what
the user typed, whichever status tab adds its hidden clause."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest

from sdk.exceptions import RPCError
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.filters import STATUSES
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.settings import Settings
from tests.tui.conftest import SIZE, connect, type_text, unique, wait_for


async def test_an_empty_namespace_counts_zero(server_address: str, tmp_path: Path) -> None:
    namespace = unique("empty")
    client = await connect(server_address)
    try:
        request = RegisterNamespaceRequest(namespace=namespace)
        request.workflow_execution_retention_period.FromTimedelta(datetime.timedelta(days=1))
        await client.service.RegisterNamespace(request)
    finally:
        await client.close()

    app = TempoApp(server_address, namespace, settings=Settings(path=tmp_path / "tui.json"))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, WorkflowsScreen)
        # A just-registered namespace may take the real server a moment to know.
        await wait_for(pilot, lambda: screen.counts.count_of(None) == 0, "the count of all runs", timeout=60)
        assert [screen.counts.count_of(status) for status in STATUSES] == [0] * len(STATUSES)
        assert "…" not in str(screen.counts.content)
        assert "All 0" in str(screen.counts.content)
        # Another tab of the same empty namespace is 0 too.
        await pilot.press("3")
        await wait_for(pilot, lambda: screen.counts.count_of(STATUSES[2]) == 0, "the Failed count")
        assert "…" not in str(screen.counts.content)


async def typed_query_error(address: str, typed: str) -> str:
    """What the server says of the typed query alone."""
    client = await connect(address)
    try:
        await client.count_workflows(typed)
    except RPCError as err:
        assert err.status_code == grpc.StatusCode.INVALID_ARGUMENT
        return str(err)
    finally:
        await client.close()
    raise AssertionError(f"the server accepted {typed!r}")


@pytest.mark.parametrize("tab", ["0", "2"])
async def test_a_query_error_points_into_the_typed_query(
    server_address: str, tab: str, make_app: Callable[[str], TempoApp], request: pytest.FixtureRequest
) -> None:
    typed = "WorkflowType = 'Checkout' AND bogus stuff"
    expected = await typed_query_error(server_address, typed)
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, WorkflowsScreen)
        await wait_for(pilot, lambda: app.connected, "the connection", timeout=60)
        await pilot.press(tab, "slash")
        await type_text(pilot, typed)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(screen.filter_bar.error), "the refused query's error")
        assert screen.filter_bar.error == f"The server refused the query: {expected}"
        if tab != "0":
            assert "ExecutionStatus" in screen.filter.visibility_query()  # the hidden clause was sent
        if request.node.callspec.params["server_address"] == "tempo":
            # Ours counts in the query it is given (the real one in the SQL it makes of it).
            position = int(re.findall(r"position (\d+)", expected)[-1])
            assert position <= len(typed) + 1
