"""`tempo codec-server` as a real process, and `--codec-endpoint` on `tempo` and `temporal`.

A workflow runs to its end with our worker and client encrypting every payload
(tests/codec_app.py); the CLIs show its payloads in plain text only through the codec server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.codec_app import PLAINTEXT_MARK, RecordingCodecServer
from tests.servers import free_port, temporal_binary, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def _tempo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tempo_cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def codec_endpoint() -> Iterator[str]:
    """`tempo codec-server --codec tests.codec_app:XorCodec` on a free port."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tempo_cli.main",
            "codec-server",
            "--codec",
            "tests.codec_app:XorCodec",
            "--port",
            str(port),
            "--cors-origin",
            "http://localhost:8233",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port("127.0.0.1", port, proc, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def encrypted_workflow(server_address: str) -> str:
    """The ID of a completed SecretWorkflow whose payloads are all encrypted."""
    workflow_id = f"secret-{uuid.uuid4().hex[:8]}"
    task_queue = f"tq-{uuid.uuid4().hex[:8]}"
    run = subprocess.run(
        [sys.executable, "-m", "tests.codec_app", server_address, task_queue, workflow_id],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    return workflow_id


def test_tempo_workflow_show_decodes_through_the_codec_server_and_marks_payloads_without_it(
    server_address: str, encrypted_workflow: str, codec_endpoint: str
) -> None:
    target = ["-w", encrypted_workflow, "--address", server_address]
    decoded = _tempo("workflow", "show", *target, "--codec-endpoint", codec_endpoint)
    assert decoded.returncode == 0, decoded.stderr
    assert f'input=["{PLAINTEXT_MARK}",true]' in decoded.stdout
    assert f"result=[\"{PLAINTEXT_MARK} (whispered) heard ['psst']\"]" in decoded.stdout
    assert 'input=["psst"]' in decoded.stdout  # the signal's

    encoded = _tempo("workflow", "show", *target)
    assert encoded.returncode == 0, encoded.stderr
    assert PLAINTEXT_MARK not in encoded.stdout
    assert 'result=["<binary/encrypted payload,' in encoded.stdout

    as_json = _tempo("workflow", "show", *target, "-o", "json", "--codec-endpoint", codec_endpoint)
    started = json.loads(as_json.stdout)["events"][0]["workflowExecutionStartedEventAttributes"]
    assert [p["metadata"]["encoding"] for p in started["input"]["payloads"]] == ["anNvbi9wbGFpbg=="] * 2  # json/plain

    result = _tempo("workflow", "result", *target)
    assert "ResultEncoding  binary/encrypted" in result.stdout
    decoded_result = _tempo("workflow", "result", *target, "--codec-endpoint", codec_endpoint)
    assert f"Result  \"{PLAINTEXT_MARK} (whispered) heard ['psst']\"" in decoded_result.stdout
    described = _tempo("workflow", "describe", *target, "--codec-endpoint", codec_endpoint)
    assert f"\"{PLAINTEXT_MARK} (whispered) heard ['psst']\"" in described.stdout


def test_the_real_temporal_cli_decodes_through_our_codec_server(
    server_address: str, encrypted_workflow: str, codec_endpoint: str
) -> None:
    shown = subprocess.run(
        [
            temporal_binary(),
            "workflow",
            "show",
            "-w",
            encrypted_workflow,
            "--address",
            server_address,
            "--codec-endpoint",
            codec_endpoint,
            "--codec-auth",
            "Bearer test-token",
            "--detailed",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert f"input[0]: {PLAINTEXT_MARK}" in shown.stdout
    assert f"result[0]: {PLAINTEXT_MARK} (whispered) heard ['psst']" in shown.stdout
    assert "ResultEncoding  json/plain" in shown.stdout


def test_an_unreachable_codec_server_is_one_line_and_a_bad_request_gets_400(
    tempo_address: str, codec_endpoint: str
) -> None:
    port = free_port()
    # The input is encoded through the codec server before anything is sent.
    unreachable = _tempo(
        "workflow",
        "start",
        "--type",
        "SecretWorkflow",
        "--task-queue",
        "nobody",
        "--input",
        '"x"',
        "--address",
        tempo_address,
        "--codec-endpoint",
        f"http://127.0.0.1:{port}",
    )
    assert unreachable.returncode != 0
    assert unreachable.stderr.startswith(f"error: cannot reach the codec server at http://127.0.0.1:{port}/encode")
    assert "Traceback" not in unreachable.stderr

    request = urllib.request.Request(f"{codec_endpoint}/decode", data=b'{"payloads": 3}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert "payloads" in refused.value.read().decode()


def test_the_codec_server_answers_the_web_ui_s_cors_preflight(codec_endpoint: str) -> None:
    preflight = urllib.request.Request(
        f"{codec_endpoint}/decode",
        method="OPTIONS",
        headers={
            "Origin": "http://localhost:8233",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-namespace, content-type",
        },
    )
    with urllib.request.urlopen(preflight, timeout=10) as answer:
        assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost:8233"
        allowed = {h.strip().lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"x-namespace", "content-type", "authorization"} <= allowed
    stranger = urllib.request.Request(
        f"{codec_endpoint}/decode", method="OPTIONS", headers={"Origin": "http://evil.example"}
    )
    with urllib.request.urlopen(stranger, timeout=10) as answer:
        assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize(
    ("codec", "message"),
    [
        ("tests.codec_app", "is not MODULE:CLASS"),
        ("no_such_module_xyz:Codec", "cannot import 'no_such_module_xyz'"),
        ("tests.codec_app:NoSuchCodec", "has no 'NoSuchCodec'"),
        ("tests.codec_app:PLAINTEXT_MARK", "is not a payload codec"),
    ],
)
def test_a_bad_codec_is_a_one_line_error(codec: str, message: str) -> None:
    result = _tempo("codec-server", "--codec", codec, "--port", str(free_port()))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def codec_worker(server_address: str) -> Iterator[str]:
    """Our worker with the codec (tests/codec_app.py) in its own process; yields its task queue."""
    task_queue = f"tq-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.codec_app", "serve", server_address, task_queue],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield task_queue
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_tempo_encodes_inputs_and_decodes_answers_through_the_codec_server(
    server_address: str, codec_worker: str, codec_endpoint: str
) -> None:
    workflow_id = f"secret-cli-{uuid.uuid4().hex[:8]}"
    connection = ["--address", server_address, "--codec-endpoint", codec_endpoint]
    started = _tempo(
        "workflow",
        "start",
        "--type",
        "SecretWorkflow",
        "--task-queue",
        codec_worker,
        "-w",
        workflow_id,
        "--input",
        json.dumps(PLAINTEXT_MARK),
        "--input",
        "true",
        *connection,
    )
    assert started.returncode == 0, started.stderr
    signalled = _tempo("workflow", "signal", "-w", workflow_id, "--name", "tell", "--input", '"psst"', *connection)
    assert signalled.returncode == 0, signalled.stderr
    result = _tempo("workflow", "result", "-w", workflow_id, *connection)
    assert f"Result  \"{PLAINTEXT_MARK} (whispered) heard ['psst']\"" in result.stdout, result.stderr
    queried = _tempo("workflow", "query", "-w", workflow_id, "--name", "heard_so_far", *connection)
    assert json.loads(queried.stdout) == ["psst"], queried.stderr

    # What the server keeps is encrypted: without the codec server the answer cannot be read.
    plain_query = _tempo("workflow", "query", "-w", workflow_id, "--name", "heard_so_far", "--address", server_address)
    assert plain_query.returncode == 1
    assert plain_query.stderr == (
        "error: cannot decode a value from the server: unknown payload encoding 'binary/encrypted'; "
        "decode it with --codec-endpoint\n"
    )
    shown = _tempo("workflow", "show", "-w", workflow_id, "--address", server_address)
    assert PLAINTEXT_MARK not in shown.stdout
    assert "psst" not in shown.stdout


def test_codec_auth_headers_and_the_namespace_reach_the_codec_server(
    server_address: str, encrypted_workflow: str
) -> None:
    with RecordingCodecServer() as server:
        shown = _tempo(
            "workflow",
            "show",
            "-w",
            encrypted_workflow,
            "--address",
            server_address,
            "--codec-endpoint",
            server.endpoint + "/",
            "--codec-auth",
            "Bearer let-me-in",
            "--codec-header",
            "X-Team=payments",
        )
        assert shown.returncode == 0, shown.stderr
        assert PLAINTEXT_MARK in shown.stdout
        assert server.headers
        for headers in server.headers:
            assert headers["authorization"] == "Bearer let-me-in"
            assert headers["x-team"] == "payments"
            assert headers["x-namespace"] == "default"
            assert headers["content-type"] == "application/json"

        # The endpoint and the auth from TEMPORAL_CODEC_*, as `temporal` reads them.
        server.headers.clear()
        from_env = _tempo(
            "workflow",
            "show",
            "-w",
            encrypted_workflow,
            "--address",
            server_address,
            env={"TEMPORAL_CODEC_ENDPOINT": server.endpoint, "TEMPORAL_CODEC_AUTH": "Bearer from-env"},
        )
        assert PLAINTEXT_MARK in from_env.stdout, from_env.stderr
        assert {h["authorization"] for h in server.headers} == {"Bearer from-env"}
