"""Whether an address to listen on stays on this machine, and the socket the server listens
on (stdlib only, so the CLI can ask and bind cheaply)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import socket


def is_loopback(ip: str) -> bool:
    """Whether listening on `ip` keeps the server to this machine (no authentication is needed then)."""
    if ip in ("localhost", "127.0.0.1"):
        return True  # the default: answered without `ipaddress` (1 ms of the server's start)
    import ipaddress

    try:
        address = ipaddress.ip_address(ip.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback  # ::ffff:127.0.0.1, as a dual-stack socket shows it
    return address.is_loopback


def no_authentication_warning(ip: str, what: str = "the dev server") -> str | None:
    """The warning printed when the server or its web UI listens beyond this machine."""
    if is_loopback(ip):
        return None
    return (
        f"warning: listening on {ip}: {what} has no authentication; anyone who can reach this "
        "address can start, read and terminate your workflows (and use the web UI)"
    )


LISTEN_BACKLOG = 1024
"""Connections the kernel queues before the server accepts them (a burst of workers)."""


def listening_socket(ip: str, port: int) -> socket.socket | None:
    """A socket listening on ``ip:port`` (0: a free port), non-blocking, as the server listens:
    on every address, IPv4 too, for "::" (as grpcio and the real server listen there; an
    IPv6 socket of asyncio's own takes IPv6 only), else on the one IPv4 address ``ip`` is.
    None for a host name or another IPv6 address, which asyncio resolves and listens on
    itself. Raises OSError when the address is taken or not this machine's.

    The protocol is named (IPPROTO_TCP, as getaddrinfo names it for asyncio's own sockets):
    asyncio turns Nagle's algorithm off only on connections whose socket says TCP; with it
    on, a connection's second small write waited for the peer's delayed ACK (40 ms)."""
    import socket  # here: the CLI's questions above need none of it

    if ip in ("::", "[::]"):
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        options = [(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)]
        address: tuple[str, int] = ("::", port)
    elif _is_ipv4(ip):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        options = []
        address = (ip, port)
    else:
        return None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for level, name, value in options:
            sock.setsockopt(level, name, value)
        sock.bind(address)
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _is_ipv4(ip: str) -> bool:
    parts = ip.split(".")
    return len(parts) == 4 and all(part.isascii() and part.isdigit() and int(part) <= 255 for part in parts)


def hold_stop_signal() -> None:
    """Hold SIGTERM back until the server takes it (`devserver.app.run` lets it through).

    A port that opens before the server has imported itself (`listening_socket`, called
    early) invites a SIGTERM before the server handles it: by default that would kill the
    process at once, before its start-up messages are out. Held, it waits, and the server
    stops gracefully as soon as it has started, as for a SIGTERM during its start."""
    import signal

    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def release_stop_signal() -> None:
    """Let a SIGTERM held by :func:`hold_stop_signal` through (to the handler now in place)."""
    import signal

    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
