"""The `tempo tui` command. Textual is imported only when the command runs, so the rest of
`tempo` (and `tempo --help`) never pays for it."""

from __future__ import annotations

from typing import Annotated

import typer

from tempo_cli._context import AddressOption, GlobalOptions, NamespaceOption, abort, note, resolve_settings

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
    settings = resolve_settings(GlobalOptions(address, namespace))
    address, namespace = settings.address, settings.namespace
    from sdk._client_rpc import check_address

    try:
        check_address(address)
    except ValueError as err:
        abort(str(err))
    if serve:
        from devserver.listen_address import no_authentication_warning
        from tempo_cli.tui.serve import UiPortInUse, serve_forever

        if warning := no_authentication_warning(ip, what=f"this web UI for {address}"):
            note(warning)

        try:
            serve_forever(address, namespace, ip=ip, port=port, exit_with=exit_with)
        except UiPortInUse as err:
            abort(str(err))
        return
    from tempo_cli.tui.app import TempoApp

    if exit_with is not None:  # a browser session of `tempo tui --serve`: it ends with the UI
        from tempo_cli.tui.serve import die_with

        die_with(exit_with)
    TempoApp(address, namespace, utc=utc).run()
