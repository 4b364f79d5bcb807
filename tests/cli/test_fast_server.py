"""`tempo server start-dev`'s fast path reads plain command lines as Typer does and leaves
everything else to Typer (its help, its usage errors)."""

from __future__ import annotations

import pytest

from tempo_cli._fast_server import plain_start_dev_options
from tempo_cli._server_logging import LogFormat, LogLevel
from tempo_cli._start_dev import StartDevOptions


def test_plain_options_are_read_as_the_command_takes_them() -> None:
    argv = [
        "--port", "7000", "-n", "orders", "--namespace=billing", "--db-filename", "t.db",
        "--log-level", "error", "--log-format=json", "--headless", "--ui-disable-news-fetch",
        "--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=100", "--time-skipping",
    ]  # fmt: skip
    assert plain_start_dev_options(argv) == StartDevOptions(
        port=7000,
        namespace=["orders", "billing"],
        db_filename="t.db",
        log_level=LogLevel.error,
        log_format=LogFormat.json,
        headless=True,
        dynamic_config_value=["limit.historyCount.suggestContinueAsNew=100"],
        time_skipping=True,
    )
    assert plain_start_dev_options([]) == StartDevOptions()


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--port", "abc"],
        ["--port", "-1"],
        ["--port"],
        ["--port", "1", "--port", "2"],
        ["--log-level", "loud"],
        ["--headless=true"],
        ["--tls-cert-path", "c.pem", "--tls-key-path", "k.pem"],
        ["extra"],
    ],
)
def test_anything_unusual_goes_to_typer(argv: list[str]) -> None:
    assert plain_start_dev_options(argv) is None
