"""`tempo batch list` on the lean path (`tempo_cli._lean_reads`): printing to a pipe it lists a
namespace's batch jobs without the SDK's client, page by page as `temporal batch list` shows
them (times relative to now, nothing at all for no job), and answers what the Typer app
answers; JSON output, a --limit Typer must read and connection settings from the environment
get the app's answer.

Each test lists a namespace of its own: other tests start batch jobs in `default` while these
run, and a listing of them would change between two runs. Times are relative to the second a
command prints, so two runs are compared with those cells read as `<time>` (their layout is
the tables' own, checked below with a fixed clock).
"""

from __future__ import annotations

import datetime
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.cli.answers import comparable, group_programs, run, settled_answers
from tests.cli.cli_results import real_cli
from tests.cli.lean_answers import NOT_LEAN, lean_answer, through_the_sdk_client
from tests.cli.startup_checks import env, reporting_argv
from tests.cli.terminal import run_in_terminal

_TIME = re.compile(r"\bnow\b|\b(?:\d+|a long while) (?:second|minute|hour|day|week|month|year)s? (?:ago|from now)")


def _cells(answer: tuple[int, str, str]) -> tuple[int, list[list[str]], str]:
    """An answer with its table's lines as cells, each relative time read as ``<time>``."""
    code, out, err = answer
    return code, [re.split(r" {2,}", _TIME.sub("<time>", line).strip()) for line in out.splitlines()], err


def _app_answers(args: list[str], environment: dict[str, str]) -> tuple[tuple[int, str, str], ...]:
    """`tempo batch ARGS` as users run it, and the app's answer: asked again while they differ
    beyond the seconds their times show."""
    tempo, app = group_programs("batch")
    return settled_answers(tempo, app, args, environment, key=_cells)


def _namespace(on: list[str], environment: dict[str, str]) -> str:
    operator, _ = group_programs("operator")
    namespace = f"lean-batch-{uuid.uuid4().hex[:8]}"
    created = run(operator, ["namespace", "create", "-n", namespace, *on], environment)
    assert created[0] == 0, created
    return namespace


def _jobs(count: int, namespace: str, on: list[str], environment: dict[str, str]) -> list[str]:
    """``count`` batch jobs in ``namespace`` (terminations of no workflow: they finish at
    once), one after another (the real server runs one at a time in a namespace); their ids."""
    _, workflow_app = group_programs("workflow")
    batch, _ = group_programs("batch")
    job_ids: list[str] = []
    deadline = time.monotonic() + 60
    while len(job_ids) < count:
        query = f"WorkflowId = 'lean-batch-nobody-{uuid.uuid4().hex[:8]}'"
        terminate = ["terminate", "-n", namespace, *on, "--query", query, "--reason", "r", "--yes"]
        started = run(workflow_app, terminate, environment)
        if started[0] == 0:
            job_ids.append(started[2].split("job ID: ")[-1].strip())
        else:  # the one before is still counted as running
            assert "Max concurrent batch operations" in started[2], started
        while True:
            listed = run(batch, ["list", "-n", namespace, *on, "-o", "json"], environment)
            if listed[1].count("BATCH_OPERATION_STATE_COMPLETED") == len(job_ids):
                break
            assert time.monotonic() < deadline, listed
            time.sleep(0.2)
    return job_ids


@pytest.fixture(scope="module", params=["tempo", "real"])
def listed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, list[str]]:
    """A server's address (Tempo's, then the real one), a namespace of this module's, and the
    ids of the three batch jobs made in it, oldest first."""
    address = str(request.getfixturevalue(f"{request.param}_address"))
    environment = env(tmp_path_factory.mktemp("lean-batch"))
    namespace = _namespace(["--address", address], environment)
    return address, namespace, _jobs(3, namespace, ["--address", address], environment)


def _lined_up(out: str) -> bool:
    """Every cell of the table begins where its header does, columns two spaces apart."""
    header, *rows = out.splitlines()
    starts = [match.start() for match in re.finditer(r"\S+", header)]
    return all(
        all(row[start - 2 : start] in ("  ", "") and row[start : start + 1].strip() for start in starts) for row in rows
    )


def test_a_namespace_without_batch_jobs_lists_nothing(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    namespace = _namespace(on, environment)
    # Like `temporal`: nothing at all, not even the header.
    assert lean_answer("batch", ["list", "-n", namespace, *on], environment) == (0, "", [])
    assert run(group_programs("batch")[1], ["list", "-n", namespace, *on], environment) == (0, "", "")


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["list"], 3),
        (["list", "--limit", "2"], 2),
        (["list", "--limit=1", "--color", "never"], 1),
        (["list", "--limit", "5"], 3),
    ],
)
def test_batch_jobs_are_listed_as_the_app_lists_them_without_the_sdk_client(
    args: list[str], shown: int, listed: tuple[str, str, list[str]], tmp_path: Path
) -> None:
    address, namespace, job_ids = listed
    environment = env(tmp_path)
    line = [*args, "-n", namespace, "--address", address]
    tempo, app = _app_answers(line, environment)
    assert _cells(tempo) == _cells(app), line
    code, out, messages = lean_answer("batch", line, environment)
    assert (code, messages) == (0, [])
    assert _cells((code, out, "")) == _cells(tempo), line
    assert _lined_up(out), out
    header, *rows = _cells(tempo)[1]
    assert header == ["JobId", "State", "StartTime", "CloseTime"]
    assert [row[:2] for row in rows] == [[job_id, "Completed"] for job_id in job_ids[::-1][:shown]], line
    assert all(row[2:] == ["<time>", "<time>"] for row in rows), rows


def _drawn(argv: list[str], environment: dict[str, str]) -> tuple[int, str]:
    """What ``argv`` drew on a terminal, each relative time read as ``<time>`` and the
    padding around it as two spaces."""
    code, shown = run_in_terminal(argv, environment, columns=200)
    return code, re.sub(r"<time> +", "<time>  ", _TIME.sub("<time>", shown.decode()))


def test_on_a_terminal_it_draws_what_the_app_draws_without_rich(
    listed: tuple[str, str, list[str]], tmp_path: Path
) -> None:
    address, namespace, job_ids = listed
    environment = {**env(tmp_path), "TERM": "xterm-256color"}
    args = ["list", "-n", namespace, "--address", address]
    tempo, app = group_programs("batch")
    for _ in range(3):  # the same table, unless a time's width changed between the two
        users, apps = _drawn([*tempo, *args], environment), _drawn([*app, *args], environment)
        if users == apps:
            break
    assert users == apps
    assert users[0] == 0 and "\x1b[1m" in users[1] and all(job_id in users[1] for job_id in job_ids), users
    _, shown = run_in_terminal(reporting_argv(["batch", *args]), environment, columns=200)
    modules = json.loads(shown.decode().strip().splitlines()[-1])["modules"]
    assert "tempo_cli._lean_reads" in modules
    assert not [m for m in modules for name in NOT_LEAN if m == name or m.startswith(name + ".")]


_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def _ago(cell: str) -> tuple[float, float]:
    """A relative time (of the last days) in seconds, and the unit it is counted in."""
    if cell == "now":
        return 0, 1
    number, unit = cell.split()[:2]
    size = _UNITS[unit.removesuffix("s")]
    return int(number) * size, size


def test_the_real_cli_lists_the_same_jobs_and_times(listed: tuple[str, str, list[str]], tmp_path: Path) -> None:
    """What `temporal batch list` shows, in Tempo's table: the same cells (`temporal` indents
    its tables and centres their headers; Tempo's tables do neither), each time the same but
    for a second (or a minute...) that passed between the two."""
    address, namespace, job_ids = listed
    ours = run(group_programs("batch")[0], ["list", "-n", namespace, "--address", address], env(tmp_path))[1]
    theirs = real_cli(address, "batch", "list", "-n", namespace).stdout
    ours_cells, theirs_cells = (
        [re.split(r" {2,}", line.strip()) for line in out.splitlines()] for out in (ours, theirs)
    )
    assert [row[:2] for row in ours_cells] == [row[:2] for row in theirs_cells], (ours, theirs)
    assert [row[:2] for row in ours_cells] == [["JobId", "State"], *([job_id, "Completed"] for job_id in job_ids[::-1])]
    assert ours_cells[0] == theirs_cells[0] == ["JobId", "State", "StartTime", "CloseTime"]
    for our_row, their_row in zip(ours_cells[1:], theirs_cells[1:], strict=True):
        for our_time, their_time in zip(our_row[2:], their_row[2:], strict=True):
            (ours_ago, unit), (theirs_ago, their_unit) = _ago(our_time), _ago(their_time)
            assert 0 <= theirs_ago - ours_ago <= max(unit, their_unit), (ours, theirs)  # theirs was asked later


@pytest.mark.parametrize("time_format", ["iso", "raw"])
def test_the_time_formats_are_the_real_clis(
    time_format: str, listed: tuple[str, str, list[str]], tmp_path: Path
) -> None:
    """`--time-format iso|raw`: the very cells `temporal batch list` shows, as users run it and
    as the app runs it (these times do not tick with the clock: compared as they are)."""
    address, namespace, job_ids = listed
    environment = env(tmp_path)
    line = ["list", "-n", namespace, "--address", address, "--time-format", time_format]
    tempo, app = _app_answers(line, environment)
    assert tempo == app
    code, out, messages = lean_answer("batch", line, environment)
    assert (code, out, messages) == (0, tempo[1], [])
    theirs = real_cli(address, "batch", *line[:3], "--time-format", time_format).stdout
    ours_cells, theirs_cells = (
        [re.split(r" {2,}", row.strip()) for row in text.splitlines()] for text in (out, theirs)
    )
    assert ours_cells == theirs_cells, (out, theirs)
    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" if time_format == "iso" else r"\d{4}-\d\d-\d\d [\d:.]+ \+0000 UTC"
    assert all(re.fullmatch(pattern, cell) for row in ours_cells[1:] for cell in row[2:]), ours_cells
    assert [row[0] for row in ours_cells[1:]] == job_ids[::-1]


def test_a_bad_time_format_is_the_apps_one_line_error(tmp_path: Path) -> None:
    tempo, app = _app_answers(["list", "--address", "127.0.0.1:1", "--time-format", "later"], env(tmp_path))
    assert tempo == app == (2, "", "error: --time-format: 'later' is not one of 'relative', 'iso', 'raw'\n")


@pytest.mark.parametrize(
    ("args", "sdk_client"),
    [
        (["list", "-o", "json"], True),
        (["list", "-o", "jsonl"], True),
        (["list", "--limit", "1", "-o", "json"], True),
        (["list", "--limit", "0"], True),  # every job, as `temporal` reads it: Typer reads the number
        (["list", "--limit", "-1"], True),
        (["list", "--limit", "many"], False),  # Typer's usage error
        (["list", "--color", "always"], True),
    ],
)
def test_what_it_does_not_answer_gets_the_apps_answer(
    args: list[str], sdk_client: bool, listed: tuple[str, str, list[str]], tmp_path: Path
) -> None:
    address, namespace, job_ids = listed
    environment = env(tmp_path)
    line = [*args, "-n", namespace, "--address", address]
    same = comparable if "-o" in args else _cells  # JSON's times are the server's, not relative
    tempo, app = settled_answers(*group_programs("batch"), line, environment, key=same)
    assert same(tempo) == same(app), line
    if sdk_client:
        code, out, messages = through_the_sdk_client("batch", line, environment)
        assert (code, messages) == (0, [])
        shown = [job_id for job_id in job_ids if job_id in out]
        assert len(shown) == (1 if "1" in args else 3), out
    else:
        assert tempo[0] == 2 and "--limit" in tempo[2], tempo


def test_settings_from_the_environment_get_the_apps_answer(listed: tuple[str, str, list[str]], tmp_path: Path) -> None:
    address, namespace, job_ids = listed
    from_env = {**env(tmp_path), "TEMPORAL_ADDRESS": address, "TEMPORAL_NAMESPACE": namespace}
    tempo, app = _app_answers(["list"], from_env)
    assert _cells(tempo) == _cells(app)
    code, out, _ = through_the_sdk_client("batch", ["list"], from_env)
    assert code == 0 and all(job_id in out for job_id in job_ids), out


def test_a_server_that_is_not_there_gets_the_apps_error(tmp_path: Path) -> None:
    tempo, app = _app_answers(["list", "--address", "127.0.0.1:1"], env(tmp_path))
    assert tempo == app
    code, out, err = tempo
    assert (code, out) == (1, "") and err.startswith("error: ") and len(err.splitlines()) == 1, tempo


# ---------------------------------------------------------------- the tables, with a fixed clock

_NOW = datetime.datetime(2026, 12, 6, 12, 0, 0, tzinfo=datetime.UTC)


def _job(job_id: str, state: int, started: float | None, closed: float | None) -> Any:
    """A BatchOperationInfo started and closed that many seconds before :data:`_NOW`."""
    from temporalio.api.batch.v1.message_pb2 import BatchOperationInfo

    job = BatchOperationInfo(job_id=job_id, state=state)  # type: ignore[arg-type]
    for field, seconds in (("start_time", started), ("close_time", closed)):
        if seconds is not None:
            getattr(job, field).FromDatetime(_NOW - datetime.timedelta(seconds=seconds))
    return job


def _page(jobs: list[Any], token: bytes = b"") -> Any:
    from temporalio.api.workflowservice.v1.request_response_pb2 import ListBatchOperationsResponse

    return ListBatchOperationsResponse(operation_info=jobs, next_page_token=token)


def test_a_page_is_a_table_and_only_the_first_has_the_header() -> None:
    from tempo_cli._plain_table import plain_lines
    from tempo_cli._read_tables import BatchListing

    listing = BatchListing(None)
    assert listing.take(_page([_job("job-1", 1, 5, None), _job("job-two", 2, 3700, 0.5)], b"next"))
    assert not listing.take(_page([_job("a-much-longer-job", 3, 90000, 86400 * 40)]))
    assert [plain_lines(table) for table in listing.tables(_NOW)] == [
        [
            "JobId    State      StartTime      CloseTime",
            "job-1    Running    5 seconds ago",
            "job-two  Completed  1 hour ago     now",
        ],
        ["a-much-longer-job  Failed  1 day ago  1 month ago"],
    ]
    assert [job.job_id for job in listing.jobs()] == ["job-1", "job-two", "a-much-longer-job"]


@pytest.mark.parametrize(("limit", "asked", "shown"), [(None, 3, 5), (0, 3, 5), (-1, 3, 5), (2, 1, 2), (3, 2, 3)])
def test_the_limit_counts_over_pages_as_temporal_counts_it(limit: int | None, asked: int, shown: int) -> None:
    from tempo_cli._read_tables import BatchListing

    pages = [_page([_job("a", 2, 1, 1), _job("b", 2, 1, 1)], b"1"), _page([_job("c", 2, 1, 1)], b"2")]
    pages.append(_page([_job("d", 2, 1, 1), _job("e", 2, 1, 1)]))
    listing = BatchListing(limit)
    taken = 0
    for page in pages:
        taken += 1
        if not listing.take(page):
            break
    assert (taken, [job.job_id for job in listing.jobs()]) == (asked, list("abcde")[:shown])
    assert len(listing.tables(_NOW)) == asked


def test_an_empty_first_page_ends_the_listing() -> None:
    from tempo_cli._read_tables import BatchListing

    listing = BatchListing(None)
    assert not listing.take(_page([], b"more"))
    assert listing.tables(_NOW) == [] and listing.jobs() == []


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.4, "now"),
        (-0.4, "now"),
        (1.5, "1 second ago"),
        (59, "59 seconds ago"),
        (119, "1 minute ago"),
        (3 * 86400, "3 days ago"),
        (10 * 86400, "1 week ago"),
        (29 * 86400, "4 weeks ago"),
        (45 * 86400, "1 month ago"),
        (200 * 86400, "6 months ago"),
        (400 * 86400, "1 year ago"),
        (600 * 86400, "2 years ago"),
        (3 * 365 * 86400, "3 years ago"),
        (40 * 365 * 86400, "a long while ago"),
        (-90, "1 minute from now"),
    ],
)
def test_times_read_as_go_humanize_words_them(seconds: float, shown: str) -> None:
    from tempo_cli._go_format import relative_time

    assert relative_time(_NOW - datetime.timedelta(seconds=seconds), _NOW) == shown
