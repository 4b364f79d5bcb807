"""`tempo server start-dev`: run the dev server in the foreground."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from devserver.dynamic_config import help_text as _dynamic_config_keys
from tempo_cli._context import abort, note
from tempo_cli._server_logging import LogFormat, LogLevel, configure
from tempo_cli._server_security import ServerSecurity, server_security

if TYPE_CHECKING:
    from tempo_cli.tui.serve import UiProcess

app = typer.Typer(
    help=(
        "Run a Tempo server.\n\n"
        "Examples:\n\n"
        "  tempo server start-dev\n\n"
        "  tempo server start-dev --db-filename tempo.db --port 7000"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("start-dev")
def start_dev(
    ip: Annotated[str, typer.Option(help="IP address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port for the gRPC WorkflowService.")] = 7233,
    namespace: Annotated[
        list[str] | None,
        typer.Option("--namespace", "-n", help="Namespace to create at start (repeatable). 'default' always exists."),
    ] = None,
    db_filename: Annotated[
        str | None,
        typer.Option("--db-filename", "-f", help="SQLite file that keeps all state across restarts (default: memory)."),
    ] = None,
    sqlite_pragma: Annotated[
        list[str] | None,
        typer.Option("--sqlite-pragma", help="SQLite pragma as KEY=VALUE, e.g. synchronous=NORMAL (repeatable)."),
    ] = None,
    search_attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--search-attribute",
            help="Custom search attribute as NAME=TYPE (Text, Keyword, Int, Double, Bool, Datetime, "
            "KeywordList); repeatable.",
        ),
    ] = None,
    dynamic_config_value: Annotated[
        list[str] | None,
        typer.Option(
            "--dynamic-config-value",
            metavar="KEY=JSON",
            help="Dynamic config value as KEY=JSON, as the real dev server takes it (repeatable). Tempo honours "
            "these keys and accepts the others with a note that they have no effect here:\n\n" + _dynamic_config_keys(),
        ),
    ] = None,
    log_level: Annotated[LogLevel, typer.Option(help="Server log level.")] = LogLevel.warn,
    log_format: Annotated[LogFormat, typer.Option(help="Log format: text (or pretty) or json.")] = LogFormat.text,
    log_config: Annotated[bool, typer.Option("--log-config", help="Print the server config to stderr.")] = False,
    ui_port: Annotated[
        int | None,
        typer.Option("--ui-port", help="Port of the web UI (`tempo tui` in a browser). Default: the gRPC port + 1000."),
    ] = None,
    ui_ip: Annotated[
        str | None, typer.Option("--ui-ip", help="IP address of the web UI. Default: the --ip value.")
    ] = None,
    headless: Annotated[bool, typer.Option("--headless", help="Do not serve the web UI.")] = False,
    ui_disable_news_fetch: Annotated[
        bool, typer.Option("--ui-disable-news-fetch", help="Accepted as the real CLI takes it: Tempo's UI has no news.")
    ] = False,
    http_port: Annotated[
        int | None, typer.Option("--http-port", help="No effect on Tempo (it serves no HTTP API); accepted.")
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help="Port for Prometheus metrics at /metrics (default: none are served)."),
    ] = None,
    ui_public_path: Annotated[
        str | None, typer.Option("--ui-public-path", help="No effect on Tempo (its UI is served at /); accepted.")
    ] = None,
    ui_asset_path: Annotated[
        str | None, typer.Option("--ui-asset-path", help="No effect on Tempo (its UI has no custom assets); accepted.")
    ] = None,
    ui_codec_endpoint: Annotated[
        str | None,
        typer.Option(
            "--ui-codec-endpoint",
            help="Codec server the web UI decodes payloads with (see `tempo codec-server`).",
            show_default=False,
        ),
    ] = None,
    time_skipping: Annotated[
        bool,
        typer.Option(
            "--time-skipping",
            help="Run on a virtual clock that skips to the next timer when nothing else is going on, and serve "
            "the TestService that controls it (for the official SDKs' time-skipping tests).",
        ),
    ] = False,
    tls_cert_path: Annotated[
        str | None,
        typer.Option(
            "--tls-cert-path", metavar="PATH", help="Serve TLS with this PEM certificate (with --tls-key-path)."
        ),
    ] = None,
    tls_key_path: Annotated[
        str | None,
        typer.Option("--tls-key-path", metavar="PATH", help="PEM private key of --tls-cert-path (unencrypted)."),
    ] = None,
    tls_ca_path: Annotated[
        str | None,
        typer.Option(
            "--tls-ca-path",
            metavar="PATH",
            help="Mutual TLS: every client must present a certificate signed by this PEM CA.",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            metavar="KEY",
            help="Every call must bring 'authorization: Bearer KEY' (UNAUTHENTICATED otherwise); the health "
            "checks stay open, as on the real server.",
        ),
    ] = None,
    ui_tls_ca_path: Annotated[
        str | None,
        typer.Option(
            "--ui-tls-ca-path",
            metavar="PATH",
            help="CA the web UI checks the server's certificate with. Default: --tls-ca-path, else "
            "--tls-cert-path (a self-signed certificate).",
        ),
    ] = None,
    ui_tls_cert_path: Annotated[
        str | None,
        typer.Option(
            "--ui-tls-cert-path", metavar="PATH", help="Client certificate of the web UI (needed with --tls-ca-path)."
        ),
    ] = None,
    ui_tls_key_path: Annotated[
        str | None, typer.Option("--ui-tls-key-path", metavar="PATH", help="Private key of --ui-tls-cert-path.")
    ] = None,
    long_poll_timeout: Annotated[
        float | None, typer.Option(help="Seconds a worker's long poll waits before an empty answer.", hidden=True)
    ] = None,
) -> None:
    """Start a development server: in memory, on 127.0.0.1:7233.

    Examples:

      tempo server start-dev

      tempo server start-dev --port 7000 --namespace orders

      tempo server start-dev --db-filename tempo.db

      tempo server start-dev --dynamic-config-value limit.historyCount.suggestContinueAsNew=100

      tempo server start-dev --headless

      tempo server start-dev --time-skipping

      tempo server start-dev --tls-cert-path server.pem --tls-key-path server.key --api-key KEY

      tempo server start-dev --tls-cert-path server.pem --tls-key-path server.key --tls-ca-path ca.pem
    """
    from devserver import dynamic_config
    from devserver.app import DevServer, PortInUse, ServerConfig, serve
    from devserver.listen_address import no_authentication_warning
    from devserver.sqlite_store import StoreError
    from devserver.tls import TlsError

    configure(log_level, log_format)
    for flag, value in (
        ("--http-port", http_port),
        ("--ui-public-path", ui_public_path),
        ("--ui-asset-path", ui_asset_path),
    ):
        if value is not None:
            note(f"note: {flag} has no effect on Tempo (ignored)")
    if not 0 <= port <= 65535:
        abort(f"invalid port {port}")
    try:
        search_attributes = _parse_search_attributes(search_attribute or [])
        security = server_security(
            cert_path=tls_cert_path,
            key_path=tls_key_path,
            ca_path=tls_ca_path,
            api_key=api_key,
            ui_ca_path=ui_tls_ca_path,
            ui_cert_path=ui_tls_cert_path,
            ui_key_path=ui_tls_key_path,
        )
    except ValueError as exc:
        abort(str(exc))
    config = ServerConfig(
        ip=ip,
        port=port,
        namespaces=list(namespace or []),
        db_filename=db_filename,
        sqlite_pragmas=list(sqlite_pragma or []),
        search_attributes=search_attributes,
        metrics_port=metrics_port,
        time_skipping=time_skipping,
        tls=security.tls,
        api_key=security.api_key,
    )
    if long_poll_timeout is not None:
        config = replace(config, long_poll_timeout=long_poll_timeout, history_long_poll_timeout=long_poll_timeout)
    try:
        config, ignored = dynamic_config.apply(config, dynamic_config.parse_flags(dynamic_config_value or []))
    except ValueError as exc:
        abort(str(exc))
    for key in ignored:
        note(f"note: dynamic config key {key} has no effect on Tempo (ignored)")
    if log_config:
        note(f"server config: {config}")
    if not security.authenticates and (warning := no_authentication_warning(ip)):
        note(warning)
    storage = f"SQLite file {db_filename}" if db_filename else "in memory"
    if time_skipping:
        storage += ", time skipping"
    storage = "; ".join([storage, *security.describe()])
    web_ui: list[UiProcess] = []

    def ready(server: DevServer) -> None:
        names = ", ".join(server.engine.namespaces.namespaces)
        typer.echo(f"Tempo dev server listening on {config.ip}:{server.port} ({storage})")
        if not headless:
            ui = _start_web_ui(
                _local_address(config.ip, server.port),
                ui_ip or config.ip,
                ui_port if ui_port is not None else server.port + 1000,
                security,
                ui_codec_endpoint,
            )
            if ui is not None:
                web_ui.append(ui)
        typer.echo(f"Namespaces: {names}")
        typer.echo(f"Connect:    tempo workflow list --address {config.ip}:{server.port}{security.connect_flags()}")
        typer.echo(f'            Client.connect("{config.ip}:{server.port}"{security.connect_arguments()})')
        typer.echo("Stop with Ctrl-C.")

    try:
        asyncio.run(serve(config, on_ready=ready))
    except (PortInUse, StoreError, TlsError) as exc:
        abort(str(exc))
    except KeyboardInterrupt:
        pass
    finally:
        for ui in web_ui:
            ui.stop()


def _local_address(ip: str, port: int) -> str:
    """Where a process on this machine reaches the server (a wildcard IP means loopback)."""
    if ip in ("0.0.0.0", ""):
        return f"127.0.0.1:{port}"
    if ip == "::":
        return f"[::1]:{port}"
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _start_web_ui(
    address: str, ip: str, port: int, security: ServerSecurity, codec_endpoint: str | None = None
) -> UiProcess | None:
    """Serve `tempo tui` to browsers from a child process; the gRPC port already answers.
    Its sessions connect as the server asks (TLS, a client certificate, the API key) and decode
    payloads through ``codec_endpoint`` (`--ui-codec-endpoint`), as the Web UI does.

    A UI that cannot start (its port taken) is a warning: the server is what matters.
    """
    from tempo_cli.tui.serve import UiProcess

    if not 0 < port < 65536:
        note(f"warning: no web UI: port {port} is out of range (use --ui-port or --headless)")
        return None
    if problem := security.ui_problem():
        note(f"warning: no web UI: {problem}")
        return None
    extra = [*security.ui_flags(), *(["--codec-endpoint", codec_endpoint] if codec_endpoint else [])]
    ui = UiProcess(address, "default", ip=ip, port=port, extra=extra, environment=security.ui_environment())
    ui.start(on_error=lambda err: note(f"warning: no web UI: {err}"))
    typer.echo(f"Web UI:     {ui.url}")
    if security.authenticates:
        # The UI holds the key or the certificate: it lets anyone who opens it act with them.
        note(
            f"note: the web UI at {ui.url} connects with the server's credentials: "
            "anyone who can open it can use the server"
        )
    return ui


_SEARCH_ATTRIBUTE_TYPES = {
    "text": 1,
    "keyword": 2,
    "int": 3,
    "double": 4,
    "bool": 5,
    "datetime": 6,
    "keywordlist": 7,
}


def _parse_search_attributes(values: list[str]) -> dict[str, int]:
    """NAME=TYPE flags as IndexedValueType numbers (the enum's values, without importing temporalio here)."""
    parsed: dict[str, int] = {}
    for value in values:
        name, sep, kind = value.partition("=")
        if not sep or not name.isidentifier() or kind.lower() not in _SEARCH_ATTRIBUTE_TYPES:
            kinds = "Text, Keyword, Int, Double, Bool, Datetime, KeywordList"
            raise ValueError(f"invalid --search-attribute {value!r}: expected NAME=TYPE with TYPE one of {kinds}")
        parsed[name] = _SEARCH_ATTRIBUTE_TYPES[kind.lower()]
    return parsed
