"""The TUI on a `tempo server start-dev` that serves mutual TLS and asks for an API key: in a
terminal with the connection flags, and in the browser, where the server's own web UI runs
its `tempo tui` sessions with the server's settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sdk import Client
from sdk.client import TLSConfig
from tempo_cli._context import GlobalOptions, resolve_settings
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.settings import Settings
from tests.certificates import Certificates, make_certificates, make_self_signed
from tests.secure_servers import API_KEY, SecureServer, start_dev, tls_flags, web_ui_session_shows
from tests.servers import free_port
from tests.tui.conftest import SIZE, wait_for


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture(scope="module")
def secure_server(certificates: Certificates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    """Mutual TLS and an API key, with the web UI (its own client certificate)."""
    flags = [*tls_flags(certificates, mutual=True), "--api-key", API_KEY, "--ui-port", str(free_port())]
    flags += ["--ui-tls-cert-path", str(certificates.client_cert_path)]
    flags += ["--ui-tls-key-path", str(certificates.client_key_path)]
    server = start_dev(tmp_path_factory.mktemp("secure") / "server.log", *flags)
    try:
        yield server
    finally:
        server.stop()


async def start_a_workflow(server: SecureServer, certificates: Certificates) -> str:
    tls = TLSConfig(
        server_root_ca_cert=certificates.ca,
        client_cert=certificates.client_cert,
        client_private_key=certificates.client_key,
    )
    client = await Client.connect(server.address, tls=tls, api_key=API_KEY)
    workflow_id = f"secure-tui-{uuid.uuid4().hex[:8]}"
    try:
        await client.start_workflow("Anything", id=workflow_id, task_queue="nobody-polls")
    finally:
        await client.close()
    return workflow_id


def ui_port_of(server: SecureServer) -> int:
    ui_line = next(line for line in server.banner if line.startswith("Web UI:"))
    return int(ui_line.rsplit(":", 1)[1])


async def test_the_tui_opens_a_run_with_the_connection_flags(
    secure_server: SecureServer, certificates: Certificates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "temporal.toml"))
    workflow_id = await start_a_workflow(secure_server, certificates)
    settings = resolve_settings(
        GlobalOptions(
            address=secure_server.address,
            tls_ca_path=str(certificates.ca_path),
            tls_cert_path=str(certificates.client_cert_path),
            tls_key_path=str(certificates.client_key_path),
            api_key=API_KEY,
        )
    )
    app = TempoApp(
        settings.address,
        settings.namespace,
        settings=Settings(path=tmp_path / "tui.json"),
        connection_options=settings.connection.options,
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.connected, "the connection over mutual TLS")
        app.open_workflow(workflow_id)
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowScreen) and bool(app.screen.events), "the run")
        assert isinstance(app.screen, WorkflowScreen) and app.screen.workflow_id == workflow_id


async def test_the_web_ui_sessions_connect_as_the_server_asks(
    secure_server: SecureServer, certificates: Certificates
) -> None:
    workflow_id = await start_a_workflow(secure_server, certificates)
    # The session lists the server's workflows: it got through mutual TLS and the key check.
    await web_ui_session_shows(ui_port_of(secure_server), workflow_id)
    log = secure_server.log.read_text() if secure_server.log else ""
    assert "connects with the server's credentials: anyone who can open it can use the server" in log


async def test_the_web_ui_trusts_a_self_signed_certificate_by_default(tmp_path: Path) -> None:
    cert, key = make_self_signed(tmp_path)
    ui_port = free_port()
    server = start_dev(
        tmp_path / "server.log", "--tls-cert-path", str(cert), "--tls-key-path", str(key), "--ui-port", str(ui_port)
    )
    try:
        client = await Client.connect(server.address, tls=TLSConfig(server_root_ca_cert=cert.read_bytes()))
        workflow_id = f"self-signed-{uuid.uuid4().hex[:8]}"
        await client.start_workflow("Anything", id=workflow_id, task_queue="nobody-polls")
        await client.close()
        await web_ui_session_shows(ui_port, workflow_id)
    finally:
        server.stop()


def test_mutual_tls_without_a_client_certificate_for_the_ui_serves_no_ui(
    certificates: Certificates, tmp_path: Path
) -> None:
    server = start_dev(tmp_path / "server.log", *tls_flags(certificates, mutual=True), "--ui-port", str(free_port()))
    try:
        assert not any(line.startswith("Web UI") for line in server.banner)
        log = server.log.read_text() if server.log else ""
    finally:
        server.stop()
    assert (
        "warning: no web UI: with --tls-ca-path (mutual TLS) its sessions need a client certificate: "
        "give --ui-tls-cert-path and --ui-tls-key-path (or --headless)"
    ) in log


async def test_an_api_key_without_tls_reaches_the_web_ui_sessions(tmp_path: Path) -> None:
    # Every client turns TLS on for a key unless told not to: the sessions are told.
    ui_port = free_port()
    server = start_dev(tmp_path / "server.log", "--api-key", API_KEY, "--ui-port", str(ui_port))
    try:
        assert server.banner[0].endswith("(in memory; API key required)")
        client = await Client.connect(server.address, api_key=API_KEY, tls=False)
        workflow_id = f"plain-key-{uuid.uuid4().hex[:8]}"
        await client.start_workflow("Anything", id=workflow_id, task_queue="nobody-polls")
        await client.close()
        await web_ui_session_shows(ui_port, workflow_id)
    finally:
        server.stop()
