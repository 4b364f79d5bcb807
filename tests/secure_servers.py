"""`tempo server start-dev` with TLS, mutual TLS or an API key, started as a user starts it,
and the `tempo` and `temporal` command lines that connect to it, for the TLS tests.

The banner the server prints is kept (the tests read what it says of TLS); its log goes to a
file, so that nothing it writes can fill a pipe nobody reads.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.certificates import Certificates
from tests.drawn_screen import screen_text
from tests.servers import free_port, stop_process, temporal_binary, wait_for_port

API_KEY = "tempo-test-key"


@dataclass
class SecureServer:
    """A running `tempo server start-dev` and the banner it printed."""

    proc: subprocess.Popen[str]
    port: int
    banner: list[str] = field(default_factory=list)
    log: Path | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_process(self.proc)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def start_dev(log: Path, *flags: str, timeout: float = 30.0) -> SecureServer:
    """`tempo server start-dev FLAGS` on a free port (headless unless FLAGS has --ui-port),
    once its port answers and its banner is printed."""
    port = free_port()
    argv = [sys.executable, "-m", "tempo_cli.main", "server", "start-dev", "--port", str(port)]
    argv += ["--log-level", "warning", *(() if "--ui-port" in flags else ("--headless",)), *flags]
    with log.open("w") as stderr:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True)
    server = SecureServer(proc, port, log=log)
    assert proc.stdout is not None
    for line in proc.stdout:
        server.banner.append(line.rstrip("\n"))
        if line.startswith("Stop with Ctrl-C."):
            break
    else:
        proc.wait(timeout)
        raise RuntimeError(f"the server ended ({proc.returncode}): {log.read_text()}")
    try:
        wait_for_port("127.0.0.1", port, proc, timeout)
    except RuntimeError as err:
        server.stop()
        raise RuntimeError(f"{err}; its log:\n{log.read_text(errors='replace')[-4000:]}") from err
    return server


def tls_flags(certificates: Certificates, *, mutual: bool = False) -> list[str]:
    """The server's flags: its certificate, and with ``mutual`` the CA of its clients'."""
    flags = ["--tls-cert-path", str(certificates.server_cert_path), "--tls-key-path", str(certificates.server_key_path)]
    return flags + (["--tls-ca-path", str(certificates.ca_path)] if mutual else [])


def client_flags(certificates: Certificates, *, mutual: bool = False) -> list[str]:
    """A client's flags (`tempo` and `temporal` take the same): the CA, and its certificate."""
    flags = ["--tls-ca-path", str(certificates.ca_path)]
    if mutual:
        flags += ["--tls-cert-path", str(certificates.client_cert_path)]
        flags += ["--tls-key-path", str(certificates.client_key_path)]
    return flags


def _clean_environment(home: Path) -> dict[str, str]:
    """This environment without TEMPORAL_* variables, and a home with no profiles file."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TEMPORAL_")}
    return {**environment, "HOME": str(home), "TEMPORAL_CONFIG_FILE": str(home / "temporal.toml")}


def tempo(home: Path, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """The `tempo` command line, as a process of its own (a hang fails the test at ``timeout``)."""
    argv = [sys.executable, "-m", "tempo_cli.main", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=_clean_environment(home))


def temporal(home: Path, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """The real `temporal` command line."""
    argv = [temporal_binary(), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=_clean_environment(home))


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """What a failed `tempo` command said: exactly one line on stderr, no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    return lines[0].removeprefix("error: ")


SESSION_COLUMNS, SESSION_ROWS = 120, 40
"""The size of the web UI sessions the tests open (as a browser window of that size asks)."""


async def web_ui_session_shows(
    ui_port: int, text: str, timeout: float = 90.0, then: Sequence[tuple[str, str]] = ()
) -> str:
    """Open a session of the web UI (its websocket, as the page does) and read what its
    `tempo tui` draws until ``text`` appears; then, for each (keys, text) of ``then``, type the
    keys (as the page sends them) and read until that text appears too. Returns what it drew.

    Fails after ``timeout``, saying what the session's screen showed then. ``text`` counts as
    shown once drawn in one piece or once on the screen (the TUI redraws only what changes, so
    a line can be drawn in parts); a text of ``then`` only once drawn after its keys."""
    drawn = ""
    terminal = ""  # what of it went to the terminal (not the page's own messages)
    loop = asyncio.get_running_loop()
    began = loop.time()
    deadline = began + timeout
    url = f"http://127.0.0.1:{ui_port}/ws?width={SESSION_COLUMNS}&height={SESSION_ROWS}"

    def failure(what: str) -> str:
        shown = screen_text(terminal, SESSION_COLUMNS, SESSION_ROWS) if terminal else "(nothing drawn)"
        return f"{what} after {loop.time() - began:.0f}s; {len(drawn)} characters drawn, the screen:\n{shown}"

    async with aiohttp.ClientSession() as session:
        while True:  # the server starts the UI process when the first connection comes
            try:
                websocket = await session.ws_connect(url)
                break
            except aiohttp.ClientConnectionError:
                assert loop.time() < deadline, "the web UI never answered"
                await asyncio.sleep(0.2)
        async with websocket:
            for keys, wanted in [("", text), *then]:
                if keys:
                    await websocket.send_str(json.dumps(["stdin", keys]))
                seen_from, look_at_screen = len(drawn), loop.time() + 1.0
                while wanted not in drawn[seen_from:]:
                    assert loop.time() < deadline, failure(f"the web UI's session never showed {wanted!r}")
                    if not seen_from and loop.time() > look_at_screen:  # once a second, not per message
                        if wanted in screen_text(terminal, SESSION_COLUMNS, SESSION_ROWS):
                            break
                        look_at_screen = loop.time() + 1.0
                    try:
                        message = await asyncio.wait_for(websocket.receive(), timeout=1.0)
                    except TimeoutError:
                        continue
                    if message.type == aiohttp.WSMsgType.BINARY:
                        drawn += message.data.decode("utf-8", "replace")
                        terminal += message.data.decode("utf-8", "replace")
                    elif message.type == aiohttp.WSMsgType.TEXT:
                        drawn += message.data
                    else:
                        raise AssertionError(failure(f"the session ended ({message.type})"))
    return drawn
