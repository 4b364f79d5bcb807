"""The README's SDK example runs as printed (against our dev server)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

# Runs an example as `python example.py` would, then leaves without the interpreter's
# finalization: the official SDK's native runtime keeps threads that can crash the process as
# it finalizes (SIGABRT "PyGILState_Release ... finalizing", or SIGSEGV with nothing printed),
# after the example has done and printed everything. That is a crash of the official SDK's own
# client process, not an answer of our server; an exception in the example still fails.
RUN_THEN_LEAVE = """
import os, runpy, sys, traceback
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
    code = 0
except BaseException:
    traceback.print_exc()
    code = 1
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""


def run_example(path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the example script at `path` from its folder, as a user would."""
    return subprocess.run(
        [sys.executable, "-c", RUN_THEN_LEAVE, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=path.parent,
        env=env,
    )


def run_server_example(markers: list[str], ids: dict[str, str], address: str, tmp_path: Path) -> str:
    """Run the README's Python example containing every marker against our server at
    `address`, each quoted id in `ids` made unique (``"order-3"`` -> ``"order-<hex>"``); what
    it printed."""
    examples = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next((example for example in examples if all(marker in example for marker in markers)), None)
    assert code is not None, f"the README has an example with {markers}"
    unique = uuid.uuid4().hex[:8]
    script = code.replace("127.0.0.1:7233", address)
    for quoted, prefix in ids.items():
        script = script.replace(f'"{quoted}"', f'"{prefix}{unique}"')
    path = tmp_path / "example.py"
    path.write_text(script)
    result = run_example(path)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_readme_sdk_example_runs(tempo_address: str, tmp_path: Path) -> None:
    printed = run_server_example(
        ["charge_customer", "Client.connect"],
        {"order-3": "order-", "deliveries": "deliveries-"},
        tempo_address,
        tmp_path,
    )
    assert printed == "charged order 3; delivered / Delivered"


def test_readme_update_example_runs(tempo_address: str, tmp_path: Path) -> None:
    printed = run_server_example(["@workflow.update"], {"cart-7": "cart-", "carts": "carts-"}, tempo_address, tmp_path)
    assert printed.split() == ["1", "2", "['tea',", "'milk']"]


def test_readme_child_workflow_example_runs(tempo_address: str, tmp_path: Path) -> None:
    printed = run_server_example(
        ["start_child_workflow(Courier.run"], {"route-1": "route-", "routes": "routes-"}, tempo_address, tmp_path
    )
    assert printed == "['delivered to north', 'delivered to south']"


def test_readme_local_activity_example_runs(tempo_address: str, tmp_path: Path) -> None:
    printed = run_server_example(
        ["execute_local_activity"], {"invoice-1": "invoice-", "invoices": "invoices-"}, tempo_address, tmp_path
    )
    assert printed == "12.0"


def run_testing_example(marker: str, tmp_path: Path) -> str:
    """Run the README's Python example containing `marker` as a user would (the project's
    executables on PATH, as in an activated virtualenv); what it printed."""
    examples = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next((example for example in examples if marker in example), None)
    assert code is not None, f"the README has an example with {marker}"
    path = tmp_path / "testing_example.py"
    path.write_text(code)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = run_example(path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_readme_sdk_testing_example_runs(tmp_path: Path) -> None:
    """sdk.testing's time-skipping environment: a month-long workflow, a month of server time."""
    printed = run_testing_example("from sdk.testing import WorkflowEnvironment", tmp_path)
    assert printed == "renewed after 30 days / 30 days of server time"


def test_readme_official_time_skipping_example_runs(tmp_path: Path) -> None:
    """The official SDK's start_time_skipping() on tempo-test-server: the server's clock ends a month ahead."""
    printed = run_testing_example("test_server_existing_path", tmp_path)
    in_a_month = (datetime.now(UTC) + timedelta(days=30)).date()
    assert printed in {f"renewed after 30 days at {day}" for day in (in_a_month, in_a_month + timedelta(days=1))}


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    """The README opens with the install-and-test command, and CI runs that very line."""
    commands = re.findall(r"```bash\n(.*?)\n```", README.read_text(), re.S)
    assert len(commands) >= 2 and "pytest" in commands[1], "the README's second command runs the tests"
    ci = (README.parent / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == commands[1]


def test_readme_activities_example_runs(tempo_address: str, tmp_path: Path) -> None:
    printed = run_server_example(
        ["raise_complete_async"], {"album-1": "album-", "albums": "albums-"}, tempo_address, tmp_path
    )
    assert printed == "[3, 'approved', 'price_of: tea']"


def test_readme_interceptor_example_runs(tempo_address: str, tmp_path: Path) -> None:
    printed = run_server_example(
        ["intercept_client"], {"bill-3": "bill-", "billing": "billing-"}, tempo_address, tmp_path
    )
    assert printed == "acme: billed 3"
