"""`tempo tui` beyond plaintext: TLS and an API key from the connection flags, a profile
switcher over the profiles file, and a read-only mode where actions are hidden and refused.

A real TLS front (tests/sdk_client/tls_peer.py) stands before each dev server (ours, the real one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sdk.client import Client
from tempo_cli._context import GlobalOptions, resolve_settings
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.forms import SignalScreen
from tempo_cli.tui.screens.profiles import ProfilesScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.settings import Settings
from tests.sdk_client.tls_peer import Certificates, TLSFront, make_certificates
from tests.tui.conftest import SIZE, open_run, screen_mounted, unique, wait_for
from tests.tui.tui_app import Checkout


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture
async def tls_front(server_address: str, certificates: Certificates) -> AsyncIterator[TLSFront]:
    front = await TLSFront(server_address, certificates).start()
    try:
        yield front
    finally:
        await front.stop()


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No profiles file, environments file or TEMPORAL_* variable but the test's own."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "temporal.toml"))
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_PROFILE", "TEMPORAL_TLS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def notifications(app: TempoApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def start_checkout(ours: tuple[Client, str]) -> str:
    client, task_queue = ours
    workflow_id = unique("conn")
    await client.start_workflow(Checkout.run, "cy", id=workflow_id, task_queue=task_queue)
    return workflow_id


async def test_the_tui_connects_with_the_tls_flags_and_api_key(
    isolated: Path, tls_front: TLSFront, certificates: Certificates, ours: tuple[Client, str]
) -> None:
    workflow_id = await start_checkout(ours)
    settings = resolve_settings(
        GlobalOptions(address=tls_front.address, tls_ca_path=str(certificates.ca_path), api_key="tui-key")
    )
    app = TempoApp(
        settings.address,
        settings.namespace,
        settings=Settings(path=isolated / "tui.json"),
        connection_options=settings.connection.options,
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.connected, "the connection over TLS")
        screen = await open_run(pilot, app, workflow_id)
        assert screen.workflow_id == workflow_id
    seen = tls_front.headers_of("GetWorkflowExecutionHistory")
    assert seen and {headers["authorization"] for headers in seen} == {"Bearer tui-key"}


async def test_a_tls_problem_is_said_not_retried_in_silence(isolated: Path, tls_front: TLSFront) -> None:
    # TLS without the front's CA: the system does not trust its certificate.
    app = TempoApp(
        tls_front.address, "default", settings=Settings(path=isolated / "tui.json"), connection_options={"tls": True}
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: any("trusted CA" in n for n in notifications(app)), "the TLS error")
        assert not app.connected


def make_app(isolated: Path, address: str, *, read_only: bool) -> TempoApp:
    return TempoApp(address, "default", settings=Settings(path=isolated / "tui.json"), read_only=read_only)


async def test_read_only_hides_and_refuses_the_run_actions(
    isolated: Path, server_address: str, ours: tuple[Client, str]
) -> None:
    workflow_id = await start_checkout(ours)
    app = make_app(isolated, server_address, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.connected, "the connection")
        screen = await open_run(pilot, app, workflow_id)
        assert "read-only" in app.sub_title
        actions = {active.binding.action for active in screen.active_bindings.values()}
        assert "signal" not in actions and "terminate" not in actions and "reset" not in actions
        assert "links" in actions  # looking is still allowed
        await pilot.press("s")
        await pilot.pause()
        assert "Read-only mode (--read-only): signalling is refused." in notifications(app)
        assert not isinstance(app.screen, SignalScreen)
        await pilot.press("t")
        await pilot.pause()
        assert "Read-only mode (--read-only): terminating is refused." in notifications(app)
        assert app.screen is screen
        # However reached (the Actions tab's handler, the palette), the action is refused.
        screen.action_terminate()
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("4")
        await wait_for(pilot, lambda: screen.query("#read-only-note"), "the Actions tab's note")
        assert not screen.query("#action-signal")


async def test_without_read_only_the_same_key_signals(
    isolated: Path, server_address: str, ours: tuple[Client, str]
) -> None:
    workflow_id = await start_checkout(ours)
    app = make_app(isolated, server_address, read_only=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.connected, "the connection")
        await open_run(pilot, app, workflow_id)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SignalScreen), "the signal form")
        await screen_mounted(pilot, app)


async def test_read_only_refuses_start_and_batch_on_the_list(isolated: Path, server_address: str) -> None:
    app = make_app(isolated, server_address, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.connected, "the connection")
        assert isinstance(app.screen, WorkflowsScreen)
        app.screen.query_one("WorkflowTable").focus()
        await pilot.press("plus", "b")
        await pilot.pause()
        assert "Read-only mode (--read-only): starting a workflow is refused." in notifications(app)
        assert "Read-only mode (--read-only): a batch action is refused." in notifications(app)
        assert isinstance(app.screen, WorkflowsScreen)


async def test_the_profile_switcher_reconnects_with_the_chosen_profile(
    isolated: Path,
    server_address: str,
    tls_front: TLSFront,
    certificates: Certificates,
    ours: tuple[Client, str],
) -> None:
    workflow_id = await start_checkout(ours)
    (isolated / "temporal.toml").write_text(
        f'[profile.default]\naddress = "{server_address}"\n\n'
        f'[profile.secure]\naddress = "{tls_front.address}"\napi_key = "switched-key"\n\n'
        f'[profile.secure.tls]\nserver_ca_cert_path = "{certificates.ca_path}"\n'
    )
    settings = resolve_settings(GlobalOptions())
    assert settings.address == server_address
    app = TempoApp(settings.address, settings.namespace, settings=Settings(path=isolated / "tui.json"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.connected, "the connection with the default profile")
        await open_run(pilot, app, workflow_id)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, ProfilesScreen), "the profiles list")
        options = app.screen.query_one("OptionList")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]  # type: ignore[attr-defined]
        assert labels == [f"default (current) — {server_address}", f"secure — {tls_front.address}"]
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.connected and app.address == tls_front.address, "the switch")
        assert isinstance(app.screen, WorkflowsScreen)
        assert tls_front.address in app.sub_title
        await open_run(pilot, app, workflow_id)
    seen = tls_front.headers_of("GetWorkflowExecutionHistory")
    assert seen and {headers["authorization"] for headers in seen} == {"Bearer switched-key"}
