"""The `tempo tui` command. Textual is imported only when the command runs, so the rest of
`tempo` (and `tempo --help`) never pays for it."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from tempo_cli._context import DEFAULT_ADDRESS, DEFAULT_NAMESPACE, AddressOption, NamespaceOption

DEFAULT_UI_PORT = 8233


def tui(
    address: AddressOption = None,
    namespace: NamespaceOption = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="Serve the TUI to web browsers instead of running it here.")
    ] = False,
    port: Annotated[int, typer.Option("--port", help="With --serve: the HTTP port.")] = DEFAULT_UI_PORT,
    ip: Annotated[str, typer.Option("--ip", help="With --serve: the address to listen on.")] = "127.0.0.1",
    utc: Annotated[bool, typer.Option("--utc", help="Show times in UTC (z switches in the app).")] = False,
    exit_with: Annotated[int | None, typer.Option("--exit-with", hidden=True)] = None,
) -> None:
    """Browse workflows, histories and queries, and act on them, in a terminal UI.

    Keys: Enter opens, Esc goes back, ? lists the keys of the screen, ctrl+p finds any action.

    Examples:

      tempo tui

      tempo tui --address 127.0.0.1:7233 --namespace orders

      tempo tui --serve --port 8233
    """
    address = address or os.environ.get("TEMPORAL_ADDRESS") or DEFAULT_ADDRESS
    namespace = namespace or os.environ.get("TEMPORAL_NAMESPACE") or DEFAULT_NAMESPACE
    from sdk._client_rpc import check_address

    try:
        check_address(address)
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    if serve:
        from tempo_cli.tui.serve import UiPortInUse, serve_forever

        try:
            serve_forever(address, namespace, ip=ip, port=port, exit_with=exit_with)
        except UiPortInUse as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None
        return
    from tempo_cli.tui.app import TempoApp

    TempoApp(address, namespace, utc=utc).run()
