"""`tempo workflow list`, `describe` and `show` on a terminal narrower than their tables (a
list of long workflow ids, or of raw times): drawn without Rich, the columns narrowed and the
long cells cut or folded, byte for byte as the Typer app draws them with Rich."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.cli.answers import TEMPO, run
from tests.cli.startup_checks import env
from tests.cli.terminal_drawing import app_and_users_drawing, loaded_heavy


@pytest.fixture
def workflow(server_address: str, task_queue: str, tmp_path: Path) -> str:
    """A running workflow, signalled with an input longer than a terminal line."""
    environment = env(tmp_path)
    workflow_id = f"narrow-{uuid.uuid4().hex[:8]}"
    on = ["--address", server_address]
    assert run(TEMPO, ["start", *on, "--type", "Waiter", "-t", task_queue, "-w", workflow_id], environment)[0] == 0
    long_input = '"' + " ".join(f"item-{number}" for number in range(40)) + '"'
    assert run(TEMPO, ["signal", *on, "-w", workflow_id, "--name", "add", "-i", long_input], environment)[0] == 0
    return workflow_id


def test_workflow_list_on_an_80_column_terminal_is_the_apps_drawing_without_rich(
    server_address: str, task_queue: str, tmp_path: Path
) -> None:
    environment = {**env(tmp_path), "TERM": "xterm-256color"}
    on = ["--address", server_address]
    workflow = f"narrow-order-fulfillment-2026-12-07-{uuid.uuid4().hex}"  # 68 characters
    assert run(TEMPO, ["start", *on, "--type", "Waiter", "-t", task_queue, "-w", workflow], environment)[0] == 0
    listing = ["list", *on, "-q", f"WorkflowId = '{workflow}'"]
    # Times in a format whose width does not tick with the clock, so the two drawings are the same.
    for columns, time_format in ((80, "iso"), (80, "raw"), (50, "iso")):
        args = [*listing, "--time-format", time_format]
        users, apps = app_and_users_drawing(args, environment, columns)
        assert users == apps, (columns, users, apps)
        assert loaded_heavy(args, environment, columns) == []
        # Each header whole; the workflow id folded onto more lines, whole, beside the status.
        header, row, *more = users.decode().splitlines()
        assert all(f"\x1b[1m{name}" in header for name in ("Status", "WorkflowId", "Type", "StartTime")), header
        assert "Running" in row and workflow[:10] in row and more and "…" not in users.decode(), users
    assert loaded_heavy(listing, environment, 80) == []


def test_describe_and_show_on_a_narrow_terminal_fold_as_the_app_does_without_rich(
    server_address: str, workflow: str, tmp_path: Path
) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address, "-w", workflow]
    for args, columns in ((["describe", *on], 60), (["show", *on], 70), (["show", *on], 100)):
        users, apps = app_and_users_drawing(args, environment, columns)
        assert users == apps, (args, columns, users, apps)
        assert loaded_heavy(args, environment, columns) == []
    users, _ = app_and_users_drawing(["show", *on], environment, 100)
    folded = [line for line in users.decode().splitlines() if "item-" in line]
    assert len(folded) > 1 and 'input=["item-0' in folded[0]  # the signal's input, folded onto more lines
