"""``python -m sample_food_delivery [all|worker|menu|driver] [options]``: run the sample."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sdk.client import TLSConfig
from sdk.envconfig import ClientConfigProfile, ConfigError
from sdk.exceptions import TempoError

from .activities import FailureSettings
from .runner import PARTS, PartFailedError, StartupError, configure_logging, run_parts
from .settings import (
    DEFAULT_ADDRESS,
    DEFAULT_DRIVER_PORT,
    DEFAULT_MENU_PORT,
    DEFAULT_NAMESPACE,
    DEFAULT_TASK_QUEUE,
    Settings,
)
from .workflows import OrderTimeouts

PROG = f"python -m {__package__}"
ENV_PREFIX = "FOOD_DELIVERY_"


def _env_default(flag: str, default: Any, env: str | None = None) -> Any:
    """A flag's default from its environment variable (``--menu-port`` -> FOOD_DELIVERY_MENU_PORT)."""
    name = env or ENV_PREFIX + flag.lstrip("-").replace("-", "_").upper()
    return os.environ.get(name, default)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Run the food-delivery sample: the worker, the menu and the driver portal together "
            "(the default), or one part alone. A Temporal or Tempo server must be running "
            "(tempo server start-dev)."
        ),
        epilog=(
            "Every option also comes from the environment: the connection (--address, --namespace, "
            "--api-key, --tls-*) from TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, "
            "TEMPORAL_TLS_* and the profile (--profile, TEMPORAL_PROFILE) of the profiles file the "
            "temporal CLI writes, the others from FOOD_DELIVERY_<OPTION> "
            "(e.g. FOOD_DELIVERY_MENU_PORT=4000).\n\n"
            f"Examples:\n  {PROG}\n  {PROG} worker --task-queue food-delivery\n  {PROG} menu driver\n"
            f"  {PROG} --pickup-timeout 10 --failure-rate 0"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "parts",
        nargs="*",
        type=_part,
        metavar="PART",
        help="what to run: worker, menu, driver, or all (the default); e.g. `menu driver`",
    )
    server = parser.add_argument_group("server")
    server.add_argument("--address", help=f"HOST:PORT of the server (default {DEFAULT_ADDRESS})")
    server.add_argument("--namespace", help=f"namespace of the orders (default {DEFAULT_NAMESPACE})")
    server.add_argument("--profile", help="profile of the profiles file to connect with (default: default)")
    server.add_argument("--api-key", help="API key, sent as `authorization: Bearer KEY` (turns TLS on)")
    server.add_argument("--tls", action="store_true", default=None, help="connect with TLS (system CAs)")
    server.add_argument("--tls-ca-path", help="PEM file of the CA that signed the server's certificate")
    server.add_argument("--tls-cert-path", help="PEM client certificate, for mutual TLS")
    server.add_argument("--tls-key-path", help="PEM private key of the client certificate")
    server.add_argument("--tls-server-name", help="name the server's certificate carries, if not the host's")
    server.add_argument(
        "--server-wait",
        type=_seconds,
        default=_env_default("--server-wait", 15.0),
        help="seconds the worker waits for a server that is still starting (default 15)",
    )
    server.add_argument(
        "--task-queue",
        default=_env_default("--task-queue", DEFAULT_TASK_QUEUE),
        help=f"task queue of the worker and the orders (default {DEFAULT_TASK_QUEUE})",
    )
    web = parser.add_argument_group("web apps")
    web.add_argument("--host", default=_env_default("--host", "127.0.0.1"), help="interface to listen on")
    web.add_argument(
        "--menu-port",
        type=_port,
        default=_env_default("--menu-port", DEFAULT_MENU_PORT),
        help=f"port of the menu (default {DEFAULT_MENU_PORT})",
    )
    web.add_argument(
        "--driver-port",
        type=_port,
        default=_env_default("--driver-port", DEFAULT_DRIVER_PORT),
        help=f"port of the driver portal (default {DEFAULT_DRIVER_PORT})",
    )
    order = parser.add_argument_group("orders (the menu passes these to new orders)")
    defaults = OrderTimeouts()
    order.add_argument(
        "--pickup-timeout",
        type=_seconds,
        default=_env_default("--pickup-timeout", defaults.pickup),
        help="seconds a paid order waits for a driver before it is refunded (default 60)",
    )
    order.add_argument(
        "--delivery-timeout",
        type=_seconds,
        default=_env_default("--delivery-timeout", defaults.delivery),
        help="seconds a picked-up order waits to be delivered before it is refunded (default 60)",
    )
    order.add_argument(
        "--rating-delay",
        type=_seconds,
        default=_env_default("--rating-delay", defaults.rating_reminder),
        help="seconds after delivery before the customer is asked to rate the meal (default 60)",
    )
    services = parser.add_argument_group("fake services (the worker's activities)")
    services.add_argument(
        "--failure-rate",
        type=_fraction,
        default=_env_default("--failure-rate", FailureSettings().rate),
        help="chance that a call to the payment or notification service fails and is retried (default 0.3)",
    )
    services.add_argument(
        "--failing-attempts",
        type=_count,
        default=_env_default("--failing-attempts", 0),
        help="the first N attempts of every activity fail (default 0)",
    )
    return parser


def _number(text: str, kind: Callable[[str], Any], what: str, ok: Callable[[Any], bool]) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def _part(text: str) -> str:
    if text not in ("all", *PARTS):
        raise argparse.ArgumentTypeError(f"expected worker, menu, driver or all, got {text!r}")
    return text


def _port(text: str) -> int:
    return int(_number(text, int, "a port number (1-65535)", lambda v: 0 < v < 65536))


def _seconds(text: str) -> float:
    return float(_number(text, float, "a number of seconds (0 or more)", lambda v: v >= 0))


def _fraction(text: str) -> float:
    return float(_number(text, float, "a number from 0 to 1", lambda v: 0 <= v <= 1))


def _count(text: str) -> int:
    return int(_number(text, int, "a whole number (0 or more)", lambda v: v >= 0))


def _read(path: str | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        with open(os.path.expanduser(path), "rb") as file:
            return file.read()
    except OSError as err:
        raise ValueError(f"cannot read the {what} {path}: {err.strerror or err}") from None


def connection_from(args: argparse.Namespace) -> tuple[str, str, dict[str, Any]]:
    """(address, namespace, other ``Client.connect`` arguments): the flags, over the
    ``TEMPORAL_*`` variables, over the profile, as every Temporal tool takes them.

    Raises:
        ValueError: The profiles file, the profile or a TLS file cannot be used.
    """
    try:
        config: dict[str, Any] = dict(ClientConfigProfile.load(args.profile).to_client_connect_config())
    except ConfigError as err:
        raise ValueError(str(err)) from None
    address = args.address or config.pop("address", None) or DEFAULT_ADDRESS
    namespace = args.namespace or config.pop("namespace", None) or DEFAULT_NAMESPACE
    config.pop("address", None)
    config.pop("namespace", None)
    if args.api_key:
        config["api_key"] = args.api_key
        config.setdefault("tls", True)
    files = (args.tls_ca_path, args.tls_cert_path, args.tls_key_path)
    if any(files) or args.tls_server_name:
        found = config.get("tls")
        profile_tls = found if isinstance(found, TLSConfig) else TLSConfig()
        config["tls"] = TLSConfig(
            server_root_ca_cert=_read(args.tls_ca_path, "CA certificate") or profile_tls.server_root_ca_cert,
            client_cert=_read(args.tls_cert_path, "client certificate") or profile_tls.client_cert,
            client_private_key=_read(args.tls_key_path, "client key") or profile_tls.client_private_key,
            domain=args.tls_server_name or profile_tls.domain,
        )
    elif args.tls and "tls" not in config:
        config["tls"] = True
    return address, namespace, config


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings the parsed command line asks for.

    Raises:
        ValueError: The connection settings cannot be used (see :func:`connection_from`).
    """
    address, namespace, connect_options = connection_from(args)
    return Settings(
        address=address,
        namespace=namespace,
        connect_options=connect_options,
        task_queue=args.task_queue,
        host=args.host,
        menu_port=args.menu_port,
        driver_port=args.driver_port,
        timeouts=OrderTimeouts(
            pickup=args.pickup_timeout, delivery=args.delivery_timeout, rating_reminder=args.rating_delay
        ),
        failures=FailureSettings(rate=args.failure_rate, first_attempts=args.failing_attempts),
        server_wait=args.server_wait,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.task_queue:
        parser.error("--task-queue must not be empty")
    try:
        settings = settings_from(args)
    except ValueError as err:
        parser.error(str(err))
    parts = PARTS if not args.parts or "all" in args.parts else tuple(p for p in PARTS if p in args.parts)
    configure_logging()
    try:
        asyncio.run(run_parts(settings, parts))
    except StartupError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except PartFailedError as err:
        if not isinstance(err.error, TempoError | StartupError | ValueError):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
