"""`tempo server start-dev`: run the dev server in the foreground (its options; what it does is
`tempo_cli._start_dev`, which the fast path for plain command lines runs too)."""

from __future__ import annotations

from typing import Annotated

import typer

from devserver.dynamic_config import help_text as _dynamic_config_keys
from tempo_cli._server_logging import LogFormat, LogLevel
from tempo_cli._start_dev import StartDevOptions, run_start_dev

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
    run_start_dev(
        StartDevOptions(
            ip=ip,
            port=port,
            namespace=list(namespace or []),
            db_filename=db_filename,
            sqlite_pragma=list(sqlite_pragma or []),
            search_attribute=list(search_attribute or []),
            dynamic_config_value=list(dynamic_config_value or []),
            log_level=log_level,
            log_format=log_format,
            log_config=log_config,
            ui_port=ui_port,
            ui_ip=ui_ip,
            headless=headless,
            http_port=http_port,
            metrics_port=metrics_port,
            ui_public_path=ui_public_path,
            ui_asset_path=ui_asset_path,
            ui_codec_endpoint=ui_codec_endpoint,
            time_skipping=time_skipping,
            tls_cert_path=tls_cert_path,
            tls_key_path=tls_key_path,
            tls_ca_path=tls_ca_path,
            api_key=api_key,
            ui_tls_ca_path=ui_tls_ca_path,
            ui_tls_cert_path=ui_tls_cert_path,
            ui_tls_key_path=ui_tls_key_path,
            long_poll_timeout=long_poll_timeout,
        )
    )
