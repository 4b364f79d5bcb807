"""What `tempo server start-dev` does once its options are read, without Typer or Rich.

Both ways in run this: the Typer command (`tempo_cli.server`) and the fast path for plain
command lines (`tempo_cli._fast_server`), so the two behave the same. Nothing here imports
Typer, Rich or the TUI before the gRPC port answers: the server's start-up is the time a
user (or an SDK's test environment) waits for.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NoReturn

from tempo_cli._server_logging import LogFormat, LogLevel, configure
from tempo_cli._server_security import ServerSecurity, server_security

if TYPE_CHECKING:
    import socket

    from tempo_cli.tui.ui_process import UiProcess


@dataclass
class StartDevOptions:
    """`tempo server start-dev`'s options, with the command's defaults."""

    ip: str = "127.0.0.1"
    port: int = 7233
    namespace: list[str] = field(default_factory=list)
    db_filename: str | None = None
    sqlite_pragma: list[str] = field(default_factory=list)
    search_attribute: list[str] = field(default_factory=list)
    dynamic_config_value: list[str] = field(default_factory=list)
    log_level: LogLevel = LogLevel.warn
    log_format: LogFormat = LogFormat.text
    log_config: bool = False
    ui_port: int | None = None
    ui_ip: str | None = None
    headless: bool = False
    http_port: int | None = None
    metrics_port: int | None = None
    ui_public_path: str | None = None
    ui_asset_path: str | None = None
    ui_codec_endpoint: str | None = None
    time_skipping: bool = False
    tls_cert_path: str | None = None
    tls_key_path: str | None = None
    tls_ca_path: str | None = None
    api_key: str | None = field(default=None, repr=False)
    ui_tls_ca_path: str | None = None
    ui_tls_cert_path: str | None = None
    ui_tls_key_path: str | None = None
    long_poll_timeout: float | None = None


def note(message: str) -> None:
    """A one-line message for people on stderr (``note: ...``, ``warning: ...``)."""
    print(message, file=sys.stderr, flush=True)


def abort(message: str) -> NoReturn:
    """End with ``error: message`` on stderr and exit code 1, as every `tempo` command does
    (`tempo_cli._cli.abort`, which brings Rich: loaded only when it is needed)."""
    from tempo_cli._cli import abort as print_error_and_exit

    print_error_and_exit(message)


def echo(line: str) -> None:
    print(line, flush=True)


def run_start_dev(options: StartDevOptions, listening: socket.socket | None = None) -> None:
    """Serve until Ctrl-C (or SIGTERM), printing the banner when the gRPC port answers;
    on ``listening``, if given: a socket already listening on the options' address."""
    from devserver import dynamic_config
    from devserver.app import DevServer, PortInUse, ServerConfig, run
    from devserver.listen_address import no_authentication_warning
    from devserver.store import StoreError
    from devserver.tls import TlsError

    o = options
    for flag, value in (
        ("--http-port", o.http_port),
        ("--ui-public-path", o.ui_public_path),
        ("--ui-asset-path", o.ui_asset_path),
    ):
        if value is not None:
            note(f"note: {flag} has no effect on Tempo (ignored)")
    if not 0 <= o.port <= 65535:
        abort(f"invalid port {o.port}")
    try:
        search_attributes = parse_search_attributes(o.search_attribute)
        security = server_security(
            cert_path=o.tls_cert_path,
            key_path=o.tls_key_path,
            ca_path=o.tls_ca_path,
            api_key=o.api_key,
            ui_ca_path=o.ui_tls_ca_path,
            ui_cert_path=o.ui_tls_cert_path,
            ui_key_path=o.ui_tls_key_path,
        )
    except ValueError as exc:
        abort(str(exc))
    config = ServerConfig(
        ip=o.ip,
        port=o.port,
        namespaces=list(o.namespace),
        db_filename=o.db_filename,
        sqlite_pragmas=list(o.sqlite_pragma),
        search_attributes=search_attributes,
        metrics_port=o.metrics_port,
        time_skipping=o.time_skipping,
        tls=security.tls,
        api_key=security.api_key,
    )
    if o.long_poll_timeout is not None:
        config = replace(config, long_poll_timeout=o.long_poll_timeout, history_long_poll_timeout=o.long_poll_timeout)
    try:
        config, ignored = dynamic_config.apply(config, dynamic_config.parse_flags(o.dynamic_config_value))
    except ValueError as exc:
        abort(str(exc))
    for key in ignored:
        note(f"note: dynamic config key {key} has no effect on Tempo (ignored)")
    # Once every option is good: a command that stops at a bad one has changed nothing (it
    # left no handler on the root logger writing to a stream that is gone).
    configure(o.log_level, o.log_format)
    if o.log_config:
        note(f"server config: {config}")
    if not security.authenticates and (warning := no_authentication_warning(o.ip)):
        note(warning)
    storage = f"SQLite file {o.db_filename}" if o.db_filename else "in memory"
    if o.time_skipping:
        storage += ", time skipping"
    storage = "; ".join([storage, *security.describe()])
    web_ui: list[UiProcess] = []

    def ready(server: DevServer) -> None:
        names = ", ".join(server.engine.namespaces.namespaces)
        echo(f"Tempo dev server listening on {config.ip}:{server.port} ({storage})")
        if not o.headless:
            ui = _web_ui(
                _local_address(config.ip, server.port),
                o.ui_ip or config.ip,
                o.ui_port if o.ui_port is not None else server.port + 1000,
                security,
                o.ui_codec_endpoint,
            )
            if ui is not None:
                web_ui.append(ui)
                # Only binds its port: the UI's process starts with the first browser.
                ui.start(lambda err: note(f"warning: no web UI: {err}"))
        echo(f"Namespaces: {names}")
        echo(f"Connect:    tempo workflow list --address {config.ip}:{server.port}{security.connect_flags()}")
        echo(f'            Client.connect("{config.ip}:{server.port}"{security.connect_arguments()})')
        echo("Stop with Ctrl-C.")

    try:
        run(config, on_ready=ready, listening=listening)
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


def _web_ui(
    address: str, ip: str, port: int, security: ServerSecurity, codec_endpoint: str | None = None
) -> UiProcess | None:
    """The web UI that serves browsers (the caller starts it); the gRPC port already answers.
    Its sessions connect as the server asks (TLS, a client certificate, the API key) and
    decode payloads through ``codec_endpoint`` (`--ui-codec-endpoint`), as the Web UI does.

    A UI that cannot start (its port taken) is a warning: the server is what matters.
    """
    from tempo_cli.tui.ui_process import UiProcess

    if not 0 < port < 65536:
        note(f"warning: no web UI: port {port} is out of range (use --ui-port or --headless)")
        return None
    if problem := security.ui_problem():
        note(f"warning: no web UI: {problem}")
        return None
    extra = [*security.ui_flags(), *(["--codec-endpoint", codec_endpoint] if codec_endpoint else [])]
    ui = UiProcess(address, "default", ip=ip, port=port, extra=extra, environment=security.ui_environment())
    echo(f"Web UI:     {ui.url}")
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


def parse_search_attributes(values: list[str]) -> dict[str, int]:
    """NAME=TYPE flags as IndexedValueType numbers (the enum's values, without importing temporalio here)."""
    parsed: dict[str, int] = {}
    for value in values:
        name, sep, kind = value.partition("=")
        if not sep or not name.isidentifier() or kind.lower() not in _SEARCH_ATTRIBUTE_TYPES:
            kinds = "Text, Keyword, Int, Double, Bool, Datetime, KeywordList"
            raise ValueError(f"invalid --search-attribute {value!r}: expected NAME=TYPE with TYPE one of {kinds}")
        parsed[name] = _SEARCH_ATTRIBUTE_TYPES[kind.lower()]
    return parsed
