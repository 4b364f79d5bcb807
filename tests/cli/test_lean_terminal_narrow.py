"""`tempo workflow list`, `describe` and `show` on a terminal narrower than their tables (the
list's six columns never fit 80): drawn without Rich, the columns narrowed and the long
cells cut or folded, byte for byte as the Typer app draws them with Rich."""

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
    server_address: str, workflow: str, tmp_path: Path
) -> None:
    environment = {**env(tmp_path), "TERM": "xterm-256color"}
    listing = ["list", "--address", server_address, "-q", f"WorkflowId = '{workflow}'"]
    for columns in (80, 50):
        users, apps = app_and_users_drawing(listing, environment, columns)
        assert users == apps, (columns, users, apps)
        assert loaded_heavy(listing, environment, columns) == []
        # Cut to fit with an ellipsis, a line each: the header and the workflow's row.
        header, row = users.decode().splitlines()
        assert "\x1b[1mRunId" in header and "…" in row and workflow[:4] in row


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
