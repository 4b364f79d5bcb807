"""The `tempo tui` command. Textual is imported only when the command runs, so the rest of
`tempo` (and `tempo --help`) never pays for it."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import typer

from tempo_cli._connection_options import CONNECTION_OPTIONS
from tempo_cli._context import AddressOption, GlobalOptions, NamespaceOption, abort, note, resolve_settings

DEFAULT_UI_PORT = 8233

ReadOnlyOption = Annotated[
    bool,
    typer.Option("--read-only", help="Look, do not touch: hide and refuse every action that changes the server."),
]


def tui(
    address: AddressOption = None,
    namespace: NamespaceOption = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="Serve the TUI to web browsers instead of running it here.")
    ] = False,
    port: Annotated[int, typer.Option("--port", help="With --serve: the HTTP port.")] = DEFAULT_UI_PORT,
    ip: Annotated[str, typer.Option("--ip", help="With --serve: the address to listen on.")] = "127.0.0.1",
    utc: Annotated[bool, typer.Option("--utc", help="Show times in UTC (z switches in the app).")] = False,
    read_only: ReadOnlyOption = False,
    exit_with: Annotated[int | None, typer.Option("--exit-with", hidden=True)] = None,
    **connection: Any,
) -> None:
    """Browse workflows, histories and queries, and act on them, in a terminal UI.

    Keys: Enter opens, Esc goes back, ? lists the keys of the screen, ctrl+p finds any action.
    It connects as the other commands do: the connection options, the profile, the environment.

    Examples:

      tempo tui

      tempo tui --address 127.0.0.1:7233 --namespace orders

      tempo tui --profile prod --read-only

      tempo tui --serve --port 8233
    """
    options = GlobalOptions.parsed({"address": address, "namespace": namespace, **connection})
    settings = resolve_settings(options)
    if settings.connection_error is not None:
        abort(settings.connection_error)
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

        extra = [*session_argv(connection), *(["--read-only"] if read_only else [])]
        try:
            serve_forever(address, namespace, ip=ip, port=port, exit_with=exit_with, extra=extra)
        except UiPortInUse as err:
            abort(str(err))
        return
    from tempo_cli.tui.app import CodecSettings, TempoApp

    if exit_with is not None:  # a browser session of `tempo tui --serve`: it ends with the UI
        from tempo_cli.tui.serve import die_with

        die_with(exit_with)
    app = TempoApp(
        address,
        namespace,
        utc=utc,
        connection_options=settings.connection.options,
        read_only=read_only,
        profile=settings.connection.profile,
        config_file=settings.connection.config_file,
        codec=CodecSettings(
            settings.connection.codec_endpoint, settings.connection.codec_auth, settings.connection.codec_headers
        ),
    )
    app.run()


def session_argv(connection: dict[str, Any]) -> list[str]:
    """The connection options given, as arguments again (for each browser session's `tempo tui`)."""
    argv: list[str] = []
    for name, value in connection.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif isinstance(value, list):
            for item in value:
                argv += [flag, item]
        elif value not in (None, False):
            argv += [flag, str(value)]
    return argv


# Typer reads the parameters from the signature: the connection options join the named ones.
_named = [p for p in inspect.signature(tui).parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
tui.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        *_named,
        *(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
            for name, annotation in CONNECTION_OPTIONS
        ),
    ]
)
