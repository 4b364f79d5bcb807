"""`tempo env ...` against `temporal env ...` on the same environments file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tempo_cli.main import app
from tests.cli.cli_results import one_line_error
from tests.servers import temporal_binary

VALUES = {
    "address": "prod.example.com:7233",
    "tls-cert-path": "/certs dir/client: a.pem",
    "empty": "",
    "number": "123",
    "yes-word": "yes",
    "null-word": "null",
    "quote": 'it\'s "quoted"',
    "leading-space": " x",
    "hash": "#not a comment",
    "cert-data": "-----BEGIN-----\nMIIB\n-----END-----\n",
    "two-lines": "a\nb",
    "tab": "a\tb",
    "accent": "café",
    "y": "n",
}


def tempo(path: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["env", *args, "--env-file", str(path)], env={"TEMPORAL_ENV": ""})


def temporal(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(path.parent), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [temporal_binary(), "env", *args, "--env-file", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


EDITS = [
    *(("set", "--env", "prod", "-k", key, "-v", value) for key, value in VALUES.items()),
    ("set", "-k", "namespace", "-v", "default"),
    ("set", "--env", "gone", "-k", "address", "-v", "x:1"),
    ("set", "--env", "dev", "-k", "address", "-v", "localhost:7233"),
    ("delete", "--env", "dev", "-k", "address"),
    ("delete", "--env", "gone"),
]


@pytest.fixture(scope="module")
def edited_by_both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("env")
    ours, theirs = directory / "tempo.yaml", directory / "temporal.yaml"
    for edit in EDITS:
        assert tempo(ours, *edit).exit_code == 0, edit
        assert temporal(theirs, *edit).returncode == 0, edit
    return ours, theirs


def test_the_same_edits_write_the_same_bytes(edited_by_both: tuple[Path, Path]) -> None:
    ours, theirs = edited_by_both
    assert ours.read_text() == theirs.read_text()


@pytest.mark.parametrize("which", ["ours", "theirs"])
@pytest.mark.parametrize(
    "args", [("get", "--env", "prod"), ("get",), ("get", "--env", "prod", "-k", "cert-data"), ("get", "-k", "none")]
)
def test_each_tool_reads_the_others_file(edited_by_both: tuple[Path, Path], which: str, args: tuple[str, ...]) -> None:
    path = edited_by_both[0 if which == "ours" else 1]
    result = tempo(path, *args, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(temporal(path, *args, "-o", "json").stdout)


def test_values_survive_the_round_trip(edited_by_both: tuple[Path, Path]) -> None:
    ours, _ = edited_by_both
    rows = json.loads(tempo(ours, "get", "--env", "prod", "-o", "json").stdout)
    assert {row["property"]: row["value"] for row in rows} == VALUES


def test_list(edited_by_both: tuple[Path, Path]) -> None:
    ours, _ = edited_by_both
    result = tempo(ours, "list", "-o", "json")
    assert json.loads(result.stdout) == [{"name": "default"}, {"name": "dev"}, {"name": "prod"}]
    assert sorted(json.loads(temporal(ours, "list", "-o", "json").stdout), key=str) == json.loads(result.stdout)


@pytest.mark.parametrize(
    "args",
    [
        ("get", "--env", "staging"),
        ("delete", "--env", "staging"),
        ("get", "--env", "prod", "-k", "a.b"),
        ("set", "--env", "prod", "-v", "x"),
    ],
)
def test_refusals_say_what_temporal_says(edited_by_both: tuple[Path, Path], args: tuple[str, ...]) -> None:
    ours, _ = edited_by_both
    before = ours.read_text()
    expected = temporal(ours, *args)
    assert expected.returncode == 1
    assert one_line_error(tempo(ours, *args)) == expected.stderr.strip().removeprefix("Error: ")
    assert ours.read_text() == before
