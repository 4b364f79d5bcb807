"""Whether an address to listen on stays on this machine (stdlib only, so the CLI can ask cheaply)."""

from __future__ import annotations


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
