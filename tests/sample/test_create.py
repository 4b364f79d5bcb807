"""`tempo create`: the scaffolded project is standalone and runs as generated, on both servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tempo_cli.main import app


def create(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["create", *args])
    return result.exit_code, result.stdout, result.stderr


def test_list_names_each_sample_on_a_line() -> None:
    code, out, _ = create("--list")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].split()[0] == "food-delivery"


def test_an_unknown_sample_is_a_one_line_error(tmp_path: Path) -> None:
    code, out, err = create(str(tmp_path / "pizza"), "--sample", "pizza")
    assert code == 1 and out == ""
    assert err == "error: unknown sample 'pizza'; the samples are: food-delivery\n"
    assert not (tmp_path / "pizza").exists()


def test_a_directory_is_needed() -> None:
    code, _, err = create()
    assert code == 1 and err.startswith("error: give the directory")


def test_a_non_empty_directory_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = create(str(tmp_path), "--sample", "food-delivery")
    assert code == 1
    assert err == f"error: {tmp_path} is not empty; use --force to write into it anyway\n"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]

    code, out, _ = create(str(tmp_path), "--sample", "food-delivery", "--force")
    assert code == 0, out
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "food_delivery" / "workflows.py").exists()


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    code, _, err = create(str(tmp_path / "taken"))
    assert code == 1 and err == f"error: {tmp_path / 'taken'} exists and is not a directory\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "My Delivery"
    code, out, err = create(str(directory), "--sample", "food-delivery")
    assert code == 0, err
    assert "tempo server start-dev" in out and "python -m food_delivery" in out and "localhost:3000" in out
    return directory


def test_the_project_is_standalone(project: Path) -> None:
    files = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    assert {
        "pyproject.toml",
        "README.md",
        "food_delivery/workflows.py",
        "food_delivery/activities.py",
        "food_delivery/products.py",
        "food_delivery/worker.py",
        "food_delivery/web/menu.py",
        "food_delivery/web/driver.py",
        "food_delivery/web/templates/menu.html",
        "food_delivery/web/static/menu.js",
        "tests/test_order.py",
        "tests/test_web.py",
    } <= files
    assert not any("__pycache__" in f or f.startswith("food_delivery/project_template") for f in files)
    for path in project.rglob("*"):
        if path.suffix in {".py", ".md", ".toml", ".html", ".js"}:
            assert "sample_food_delivery" not in path.read_text(), path
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "my-delivery"' in pyproject and 'dependencies = ["tempo-devserver"]' in pyproject
    readme = (project / "README.md").read_text()
    assert "tempo server start-dev" in readme and "python -m food_delivery" in readme
    assert "http://localhost:3000" in readme and "http://localhost:3001" in readme


def test_the_project_runs_without_the_sample_package(project: Path) -> None:
    """The generated package imports only itself, sdk and the web stack."""
    check = (
        "import sys, food_delivery.runner, food_delivery.__main__ as m; "
        "assert 'sample_food_delivery' not in sys.modules, 'imports the original'; print(m.PROG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=project, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "python -m food_delivery"


@pytest.mark.timeout(600)
def test_the_generated_project_passes_its_tests(project: Path, server_address: str) -> None:
    """As a user would: `python -m pytest` in the project, against our server and the real one.

    Its tests run the order's paths with an in-process worker, its minute-long waits on a
    time-skipping test server of their own (sdk.testing), and start
    `python -m food_delivery` (worker, menu, driver) to complete an order through
    the HTTP API.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FOOD_DELIVERY_"))}
    env["TEMPORAL_ADDRESS"] = server_address
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 passed" in result.stdout
