"""`tempo tui --serve` serves the TUI to browsers for any server; the page is self-contained."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.process_tree import ProcessEntry, descendants, still_running
from tests.servers import free_port


def _get(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_answers_with_a_page_that_needs_no_internet(tempo_address: str) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "tempo_cli.main", "tui", "--serve", "--port", str(port), "--address", tempo_address]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        page = _get(f"http://127.0.0.1:{port}/", proc)
        assert page.status_code == 200
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page.text
        assets = re.findall(r'(?:href|src|url\()="?([^")]+)', page.text)
        assert assets and all(a.startswith(f"http://127.0.0.1:{port}/static/") for a in assets), assets
        for asset in assets:
            assert httpx.get(asset, timeout=5).status_code == 200, asset
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert f"http://127.0.0.1:{port}" in out


def _serve_briefly(tempo_address: str, ip: str) -> tuple[str, str]:
    """Start `tempo tui --serve --ip IP`, wait for its URL, stop it; (stdout, stderr)."""
    port = free_port()
    argv = [sys.executable, "-m", "tempo_cli.main", "tui", "--serve", "--ip", ip, "--port", str(port)]
    proc = subprocess.Popen([*argv, "--address", tempo_address], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _get(f"http://127.0.0.1:{port}/", proc).status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=15)
    return out.decode(), err.decode()


def test_serve_beyond_loopback_warns_that_the_ui_has_no_authentication(tempo_address: str) -> None:
    _, err = _serve_briefly(tempo_address, "0.0.0.0")
    warnings = [line for line in err.splitlines() if "no authentication" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: listening on 0.0.0.0: this web UI"), err
    _, err = _serve_briefly(tempo_address, "127.0.0.1")
    assert "no authentication" not in err


def test_serve_on_a_taken_port_is_a_one_line_error(tempo_address: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tempo_cli.main", "tui", "--serve", "--port", str(port), "--address", tempo_address],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot serve the web UI on 127.0.0.1:")
    assert "Traceback" not in result.stderr


def _start_dev(*extra: str) -> tuple[subprocess.Popen[str], list[str]]:
    port = free_port()
    argv = [sys.executable, "-m", "tempo_cli.main", "server", "start-dev", "--port", str(port), *extra]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Stop with Ctrl-C."):
            break
    return proc, lines


def test_start_dev_prints_the_ui_url_beside_the_grpc_address() -> None:
    ui_port = free_port()
    proc, lines = _start_dev("--ui-port", str(ui_port))
    try:
        assert f"Web UI:     http://127.0.0.1:{ui_port}" in lines
        assert lines[0].startswith("Tempo dev server listening on 127.0.0.1:")
        assert _get(f"http://127.0.0.1:{ui_port}/", proc).status_code == 200  # type: ignore[arg-type]
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_start_dev_headless_serves_no_ui() -> None:
    proc, lines = _start_dev("--headless")
    try:
        assert not any(line.startswith("Web UI") for line in lines)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_a_taken_ui_port_is_a_warning_and_grpc_still_serves() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ui_port = taken.getsockname()[1]
        proc, lines = _start_dev("--ui-port", str(ui_port))
        try:
            assert proc.stderr is not None
            warning = proc.stderr.readline()
            grpc_port = int(lines[0].split(":")[-1].split()[0])
            with socket.create_connection(("127.0.0.1", grpc_port), timeout=5):
                pass
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    assert warning.startswith(f"warning: no web UI: cannot serve the web UI on 127.0.0.1:{ui_port}")
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


def test_the_web_ui_goes_away_with_a_killed_server() -> None:
    ui_port = free_port()
    proc, _ = _start_dev("--ui-port", str(ui_port))
    try:
        assert _get(f"http://127.0.0.1:{ui_port}/", proc).status_code == 200  # type: ignore[arg-type]
    finally:
        proc.kill()  # no chance to stop its UI: the UI notices by itself
        proc.wait(timeout=15)
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{ui_port}/", timeout=1)
        except httpx.TransportError:
            return
        assert time.monotonic() < deadline, "the web UI outlived its server"
        time.sleep(0.2)


def _ui_processes(server_pid: int) -> list[ProcessEntry]:
    return [p for p in descendants(server_pid) if "tempo_cli.tui.serve" in p.command]


def test_the_web_ui_process_starts_with_the_first_visitor_and_again_after_a_crash() -> None:
    """A UI nobody opens runs no process (and costs no memory); the first request starts it
    and is answered; a UI process that dies is started again by the next visitor."""
    ui_port = free_port()
    proc, _ = _start_dev("--ui-port", str(ui_port))
    try:
        time.sleep(1)
        assert _ui_processes(proc.pid) == []
        assert _get(f"http://127.0.0.1:{ui_port}/", proc).status_code == 200  # type: ignore[arg-type]
        (first,) = _ui_processes(proc.pid)
        os.kill(first.pid, signal.SIGKILL)
        assert still_running([first]) == [] or _wait_gone(first)
        assert _get(f"http://127.0.0.1:{ui_port}/", proc).status_code == 200  # type: ignore[arg-type]
        (second,) = _ui_processes(proc.pid)
        assert second.pid != first.pid
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _wait_gone(process: ProcessEntry, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while still_running([process]):
        assert time.monotonic() < deadline, f"{process.command} did not end"
        time.sleep(0.05)
    return True
