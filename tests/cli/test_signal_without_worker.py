"""`tempo workflow signal` asks a run for the signals it declares (to warn about a name it does
not have) only when a worker polls the run's task queue: with none, the server would hold that
metadata query for its whole timeout, and every signal to a run without a worker took a second
longer than `temporal workflow signal`. Counted by each server's own metrics (`service_requests`
by operation), on Tempo and on the real dev server, for the lean path and for the app."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.answers import APP, TEMPO, run
from tests.cli.startup_checks import env
from tests.cli.thread_worker import ThreadWorker
from tests.metrics_scrape import requests_of, scrape
from tests.servers import free_port, real_server, tempo_server

pytestmark = pytest.mark.real_server


@pytest.fixture(scope="module", params=["tempo", "real"])
def metered(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    """A server of each kind serving its metrics: its address and metrics port."""
    port = free_port()
    make = tempo_server if request.param == "tempo" else real_server
    server = make("--metrics-port", str(port)).start(timeout=60)
    try:
        yield server.address, port
    finally:
        server.stop()


def _counted(port: int, operation: str, at_least: float) -> float:
    """The server's count of ``operation`` calls once it reaches ``at_least`` (the real server
    reports its metrics now and then, seconds apart on a busy machine)."""
    deadline = time.monotonic() + 30
    while (count := requests_of(scrape(port), operation)) < at_least:
        assert time.monotonic() < deadline, (operation, count, at_least)
        time.sleep(0.1)
    return count


def _start_waiter(address: str, task_queue: str, environment: dict[str, str]) -> str:
    workflow_id = f"signalled-{uuid.uuid4().hex[:8]}"
    started = run(
        TEMPO, ["start", "--address", address, "--type", "Waiter", "-t", task_queue, "-w", workflow_id], environment
    )
    assert started[0] == 0, started
    return workflow_id


def test_a_run_no_worker_polls_is_signalled_without_asking_it(metered: tuple[str, int], tmp_path: Path) -> None:
    address, port = metered
    environment = env(tmp_path)
    workflow_id = _start_waiter(address, f"nobody-{uuid.uuid4().hex[:8]}", environment)
    queries = requests_of(scrape(port), "QueryWorkflow")
    signals = requests_of(scrape(port), "SignalWorkflowExecution")
    for program in (TEMPO, APP):
        answer = run(program, ["signal", "--address", address, "-w", workflow_id, "--name", "poke"], environment)
        assert answer == (0, "", f"Sent signal 'poke' to workflow {workflow_id}.\n"), (program, answer)
    _counted(port, "SignalWorkflowExecution", signals + 2)
    assert requests_of(scrape(port), "QueryWorkflow") == queries


def test_a_run_a_worker_polls_is_asked_for_its_signals(metered: tuple[str, int], tmp_path: Path) -> None:
    address, port = metered
    environment = env(tmp_path)
    with ThreadWorker(address) as task_queue:
        workflow_id = _start_waiter(address, task_queue, environment)
        queries = requests_of(scrape(port), "QueryWorkflow")
        for program in (TEMPO, APP):
            code, out, err = run(
                program, ["signal", "--address", address, "-w", workflow_id, "--name", "nosuch"], environment
            )
            assert (code, out) == (0, ""), (program, err)
            warning, sent = err.splitlines()
            assert warning.startswith(f"warning: workflow {workflow_id} has no signal 'nosuch' (its signals: "), err
            assert sent == f"Sent signal 'nosuch' to workflow {workflow_id}."
        _counted(port, "QueryWorkflow", queries + 2)
