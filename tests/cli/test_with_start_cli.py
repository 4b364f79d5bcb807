"""`tempo workflow signal-with-start`, `start-update-with-start`, `execute-update-with-start` and
start's --memo/--search-attribute/--headers/--start-delay (issue 18), on both servers: what ours
prints with -o json, and what the server records, compared with the real `temporal` doing the same.
"""

from __future__ import annotations

import json
from typing import Any

from tests.cli.cli_results import json_out, new_id, one_line_error, real_cli, real_cli_outcome
from tests.cli.conftest import Tempo


def _ids_normalised(doc: dict[str, Any], workflow_id: str) -> dict[str, Any]:
    """The document with this workflow's id, and any run id, replaced by placeholders."""
    out = dict(doc)
    assert out.pop("runId")
    assert out.pop("workflowId") == workflow_id
    return out


def _register_search_attribute(address: str, name: str) -> None:
    created = real_cli_outcome(address, "operator", "search-attribute", "create", "--name", name, "--type", "Keyword")
    assert created.returncode == 0 or "already" in created.stderr, created.stderr


def _first_event(address: str, workflow_id: str) -> dict[str, Any]:
    history = json.loads(real_cli(address, "workflow", "show", "-w", workflow_id, "-o", "json").stdout)
    attributes: dict[str, Any] = history["events"][0]["workflowExecutionStartedEventAttributes"]
    return attributes


_EXTRAS = ("--memo", 'note="rush"', "--memo", 'box={"items": [1, 2]}', "--search-attribute",
           'TempoFlavor="spicy"', "--headers", 'tenant="acme"', "--start-delay", "1h")  # fmt: skip


def test_start_sends_memo_search_attributes_headers_and_delay_as_temporal_does(
    server_address: str, tempo: Tempo
) -> None:
    _register_search_attribute(server_address, "TempoFlavor")
    ours_id, theirs_id = new_id("extras-ours"), new_id("extras-theirs")
    common = ("--type", "Waiter", "-t", new_id("nobody"), *_EXTRAS, "-o", "json")
    ours = json_out(tempo("start", "-w", ours_id, *common))
    theirs = json.loads(real_cli(server_address, "workflow", "start", "-w", theirs_id, *common).stdout)
    assert _ids_normalised(ours, ours_id) == _ids_normalised(theirs, theirs_id)
    recorded = []
    for workflow_id in (ours_id, theirs_id):
        started = _first_event(server_address, workflow_id)
        recorded.append(
            {key: started.get(key) for key in ("memo", "searchAttributes", "header", "firstWorkflowTaskBackoff")}
        )
    assert recorded[0] == recorded[1]
    assert recorded[0]["firstWorkflowTaskBackoff"] == "3600s"
    assert set(recorded[0]["memo"]["fields"]) == {"note", "box"}
    assert set(recorded[0]["header"]["fields"]) == {"tenant"}
    described = json_out(tempo("describe", "-w", ours_id, "-o", "json"))["workflowExecutionInfo"]
    assert described["memo"]["fields"] == {"note": "rush", "box": {"items": [1, 2]}}
    # The start waits an hour: the execution time is an hour after the start time.
    assert described["executionTime"][:13] != described["startTime"][:13]
    listed = json_out(tempo("list", "--query", f"TempoFlavor = 'spicy' AND WorkflowId = '{ours_id}'", "-o", "json"))
    assert [run["execution"]["workflowId"] for run in listed] == [ours_id]

    no_equals = tempo("start", "--type", "Waiter", "-t", "q", "--memo", "note")
    assert one_line_error(no_equals) == "--memo: expected KEY=VALUE (VALUE in JSON), got 'note'"
    bad_json = tempo("start", "--type", "Waiter", "-t", "q", "--headers", "tenant={")
    assert one_line_error(bad_json).startswith("--headers: the value of 'tenant' is not valid JSON")
    bad_delay = tempo("start", "--type", "Waiter", "-t", "q", "--start-delay", "soon")
    assert one_line_error(bad_delay).startswith("--start-delay: 'soon' is not a duration")


def test_signal_with_start_starts_once_then_signals(server_address: str, tempo: Tempo, task_queue: str) -> None:
    ours_id, theirs_id = new_id("sws-ours"), new_id("sws-theirs")
    common = ("--type", "Waiter", "-t", task_queue, "--signal-name", "add", "-o", "json")
    first = json_out(tempo("signal-with-start", "-w", ours_id, *common, "--signal-input", '"tea"'))
    again = json_out(tempo("signal-with-start", "-w", ours_id, *common, "--signal-type", "add",
                           "--signal-input", '"cake"'))  # fmt: skip
    assert again["runId"] == first["runId"]  # running: signalled, not started again
    theirs = json.loads(
        real_cli(server_address, "workflow", "signal-with-start", "-w", theirs_id, *common, "--signal-input", '"tea"')
    .stdout)  # fmt: skip
    assert _ids_normalised(first, ours_id) == _ids_normalised(theirs, theirs_id)
    assert first == {"workflowId": ours_id, "runId": first["runId"], "type": "Waiter", "namespace": "default"}
    items = json_out(tempo("query", "-w", ours_id, "--name", "items_with_prefix", "-i", '""', "-o", "json"))
    assert items["result"] == ["tea", "cake"]
    text = tempo("signal-with-start", "-w", ours_id, "--type", "Waiter", "-t", task_queue, "--signal-name", "finish")
    assert text.exit_code == 0, text.stderr
    assert text.stdout.splitlines()[0] == "Running execution:"
    assert text.stdout.split()[2:6] == ["WorkflowId", ours_id, "RunId", first["runId"]]

    bad_input = tempo("signal-with-start", "-w", ours_id, *common, "--signal-input", "{")
    assert one_line_error(bad_input).startswith("--signal-input ('{') is not valid JSON")
    no_name = tempo("signal-with-start", "-w", ours_id, "--type", "Waiter", "-t", task_queue)
    assert no_name.exit_code == 2 and "--signal-name" in no_name.stderr and "Traceback" not in no_name.output


def test_update_with_start_like_temporal(server_address: str, tempo: Tempo, task_queue: str) -> None:
    ours_id, theirs_id = new_id("uws-ours"), new_id("uws-theirs")
    common = ("--type", "Tally", "-t", task_queue, "--id-conflict-policy", "UseExisting")
    update = ("--update-name", "add", "--update-input", "3", "--update-id", "u1", "-o", "json")
    ours = json_out(tempo("execute-update-with-start", "-w", ours_id, *common, *update))
    theirs = json.loads(
        real_cli(server_address, "workflow", "execute-update-with-start", "-w", theirs_id, *common, *update).stdout
    )
    assert _ids_normalised(ours, ours_id) == _ids_normalised(theirs, theirs_id)
    assert ours["updateResult"] == 3 and ours["updateName"] == "add" and ours["updateId"] == "u1"
    # Running now: UseExisting sends the update to the same run.
    second = json_out(tempo("execute-update-with-start", "-w", ours_id, *common, "--update-type", "add",
                            "--update-input", "4", "-o", "json"))  # fmt: skip
    assert (second["runId"], second["updateResult"]) == (ours["runId"], 7)

    held = json_out(tempo("start-update-with-start", "-w", ours_id, *common, "--update-name", "add_when_released",
                          "--update-input", "5", "--update-id", "held", "--update-wait-for-stage", "accepted",
                          "-o", "json"))  # fmt: skip
    assert _ids_normalised(held, ours_id) == {
        "type": "Tally",
        "namespace": "default",
        "updateName": "add_when_released",
        "updateId": "held",
    }
    assert json_out(tempo("update", "describe", "-w", ours_id, "--update-id", "held", "-o", "json"))["stage"] == (
        "Accepted"
    )
    assert tempo("signal", "-w", ours_id, "--name", "release").exit_code == 0
    assert json_out(tempo("update", "result", "-w", ours_id, "--update-id", "held", "-o", "json"))["result"] == 12

    refused = tempo("execute-update-with-start", "-w", ours_id, *common, "--update-name", "add",
                    "--update-input", "-1")  # fmt: skip
    theirs_refused = real_cli_outcome(server_address, "workflow", "execute-update-with-start", "-w", ours_id,
                                      *common, "--update-name", "add", "--update-input", "-1")  # fmt: skip
    assert theirs_refused.returncode == 1
    assert one_line_error(refused) == theirs_refused.stderr.strip().removeprefix("Error: ")
    fail_running = tempo("execute-update-with-start", "-w", ours_id, "--type", "Tally", "-t", task_queue,
                         "--id-conflict-policy", "Fail", "--update-name", "add", "--update-input", "1")  # fmt: skip
    assert one_line_error(fail_running).startswith("failed workflow start: ")
    assert ours_id in one_line_error(fail_running)
    no_policy = tempo("execute-update-with-start", "-w", ours_id, "--type", "Tally", "-t", task_queue,
                      "--update-name", "add")  # fmt: skip
    assert one_line_error(no_policy) == "--id-conflict-policy is required (UseExisting, TerminateExisting or Fail)"
    no_stage = tempo("start-update-with-start", "-w", ours_id, *common, "--update-name", "add")
    assert no_stage.exit_code == 2 and "--update-wait-for-stage" in no_stage.stderr
    for workflow_id in (ours_id, theirs_id):
        assert tempo("signal", "-w", workflow_id, "--name", "finish").exit_code == 0
