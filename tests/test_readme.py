"""The README's SDK example runs as printed (against our dev server)."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_sdk_example_runs(tempo_address: str, tmp_path: Path) -> None:
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert code is not None, "the README has a Python example"
    unique = uuid.uuid4().hex[:8]
    script = (
        code.group(1)
        .replace("127.0.0.1:7233", tempo_address)
        .replace('"order-3"', f'"order-{unique}"')
        .replace('"deliveries"', f'"deliveries-{unique}"')
    )
    path = tmp_path / "example.py"
    path.write_text(script)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "charged order 3; delivered / Delivered"


def test_readme_update_example_runs(tempo_address: str, tmp_path: Path) -> None:
    examples = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next((example for example in examples if "@workflow.update" in example), None)
    assert code is not None, "the README has an update example"
    unique = uuid.uuid4().hex[:8]
    script = (
        code.replace("127.0.0.1:7233", tempo_address)
        .replace('"cart-7"', f'"cart-{unique}"')
        .replace('"carts"', f'"carts-{unique}"')
    )
    path = tmp_path / "updates.py"
    path.write_text(script)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "2", "['tea',", "'milk']"]


def test_readme_local_activity_example_runs(tempo_address: str, tmp_path: Path) -> None:
    examples = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next((example for example in examples if "execute_local_activity" in example), None)
    assert code is not None, "the README has a local activity example"
    unique = uuid.uuid4().hex[:8]
    script = (
        code.replace("127.0.0.1:7233", tempo_address)
        .replace('"invoice-1"', f'"invoice-{unique}"')
        .replace('"invoices"', f'"invoices-{unique}"')
    )
    path = tmp_path / "local_activities.py"
    path.write_text(script)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "12.0"


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    """The README opens with the install-and-test command, and CI runs that very line."""
    commands = re.findall(r"```bash\n(.*?)\n```", README.read_text(), re.S)
    assert len(commands) >= 2 and "pytest" in commands[1], "the README's second command runs the tests"
    ci = (README.parent / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == commands[1]


def test_readme_activities_example_runs(tempo_address: str, tmp_path: Path) -> None:
    examples = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next((example for example in examples if "raise_complete_async" in example), None)
    assert code is not None, "the README has an activities example"
    unique = uuid.uuid4().hex[:8]
    script = (
        code.replace("127.0.0.1:7233", tempo_address)
        .replace('"album-1"', f'"album-{unique}"')
        .replace('"albums"', f'"albums-{unique}"')
    )
    path = tmp_path / "activities.py"
    path.write_text(script)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[3, 'approved', 'price_of: tea']"


def test_readme_interceptor_example_runs(tempo_address: str, tmp_path: Path) -> None:
    examples = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next((example for example in examples if "intercept_client" in example), None)
    assert code is not None, "the README has an interceptor example"
    unique = uuid.uuid4().hex[:8]
    script = (
        code.replace("127.0.0.1:7233", tempo_address)
        .replace('"bill-3"', f'"bill-{unique}"')
        .replace('"billing"', f'"billing-{unique}"')
    )
    path = tmp_path / "interceptors.py"
    path.write_text(script)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "acme: billed 3"
