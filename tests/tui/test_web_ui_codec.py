"""`tempo server start-dev --ui-codec-endpoint URL`: the web UI's sessions decode payloads
through the codec server, as the Temporal Web UI does with its codec endpoint. A browser
session (its websocket) opens a workflow whose payloads a codec encrypted and reads the
plaintext."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.codec_app import PLAINTEXT_MARK
from tests.secure_servers import web_ui_session_shows
from tests.servers import free_port, tempo_server, wait_for_port

ROOT = Path(__file__).parents[2]
CODEC_FLAGS = ("--codec", "tests.codec_app:XorCodec")
# Generous for a machine busy with the rest of the suite: two servers, an official SDK worker's
# process and the UI's two processes (at `nice 10`, so the suite's other processes come first)
# start before the plaintext shows.
SESSION_WAIT = 240.0
pytestmark = pytest.mark.timeout(480)  # above the waits' sum: a wait that fails says what it saw


async def test_the_web_ui_decodes_through_the_ui_codec_endpoint() -> None:
    codec_port, ui_port = free_port(), free_port()
    codec = subprocess.Popen(
        [sys.executable, "-m", "tempo_cli.main", "codec-server", *CODEC_FLAGS, "--port", str(codec_port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = tempo_server("--ui-port", str(ui_port), "--ui-codec-endpoint", f"http://127.0.0.1:{codec_port}").start(
        timeout=60
    )
    try:
        wait_for_port("127.0.0.1", codec_port, codec, timeout=60)
        workflow_id = f"secret-{uuid.uuid4().hex[:8]}"
        run = subprocess.run(
            [sys.executable, "-m", "tests.codec_app", server.address, f"tq-{uuid.uuid4().hex[:8]}", workflow_id],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert run.returncode == 0, run.stderr
        # The list shows the run; Enter opens it (the only one, so the selected one); its
        # history shows the input the codec encrypted, decoded.
        await web_ui_session_shows(ui_port, workflow_id, timeout=SESSION_WAIT, then=[("\r", PLAINTEXT_MARK)])
    finally:
        server.stop()
        codec.terminate()
        codec.wait(timeout=10)
