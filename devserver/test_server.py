"""`tempo-test-server <port>`: the time-skipping test server the official SDKs launch.

`WorkflowEnvironment.start_time_skipping(test_server_existing_path=...)` runs the
executable with the port as its only positional argument (the Java test server's command
line) and talks to the WorkflowService, OperatorService and TestService there. Everything
is in memory and time skipping is on.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    import socket


_IP, _LOG_LEVEL = "127.0.0.1", "warning"  # the defaults of the options below


def parse(argv: list[str]) -> argparse.Namespace:
    import argparse

    parser = argparse.ArgumentParser(
        prog="tempo-test-server",
        description="Tempo's in-memory test server with time skipping (the Java test server's command line).",
    )
    parser.add_argument("port", type=int, help="port for the WorkflowService, OperatorService and TestService")
    # The Java test server's flag: time skipping is always on here, so it is accepted and changes nothing.
    parser.add_argument("--enable-time-skipping", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ip", default=_IP, help=f"address to listen on (default: {_IP})")
    parser.add_argument(
        "--log-level", default=_LOG_LEVEL, choices=["debug", "info", "warning", "error"], help=f"default: {_LOG_LEVEL}"
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"port must be between 1 and 65535, not {args.port}")
    return args


def _port_alone(argv: list[str]) -> int | None:
    """The port of the command line the SDKs run (`PORT`, perhaps with the Java server's
    `--enable-time-skipping`), read without argparse (3 ms of each test session's start)."""
    words = [word for word in argv if word != "--enable-time-skipping"]
    if len(words) != 1 or not words[0].isascii() or not words[0].isdigit() or not 0 < int(words[0]) < 65536:
        return None
    return int(words[0])


def listen_early(argv: list[str]) -> socket.socket | None:
    """The server's socket for the command line the SDKs run, listening before the server's
    modules are imported (the SDKs' harnesses check the port about every 100 ms: see
    `tempo_cli._fast_server`), or None (then the server binds it, and words what fails)."""
    port = _port_alone(argv)
    if port is None:
        return None
    from devserver.listen_address import hold_stop_signal, listening_socket, release_stop_signal

    # Held before the port opens: a SIGTERM sent the moment it does now stops it once started.
    hold_stop_signal()
    try:
        listening = listening_socket(_IP, port)
    except OSError:  # taken: the server says so
        listening = None
    if listening is None:
        release_stop_signal()
    return listening


def main(argv: list[str] | None = None, listening: socket.socket | None = None) -> None:
    """Serve until Ctrl-C or SIGTERM; on ``listening`` if given (:func:`listen_early`)."""
    # Imported here: `listen_early` runs before them (this module is imported first).
    import logging

    from devserver.app import PortInUse, ServerConfig, run

    argv = sys.argv[1:] if argv is None else argv
    port = _port_alone(argv)
    if port is not None:
        ip, log_level = _IP, _LOG_LEVEL
    else:
        args = parse(argv)
        port, ip, log_level = args.port, args.ip, args.log_level
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = ServerConfig(ip=ip, port=port, time_skipping=True, shutdown_grace=0.5)
    try:
        run(config, listening=listening)
    except PortInUse as exc:
        print(f"tempo-test-server: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
