"""`tempo server start-dev`'s TLS and API key flags: what they ask of the server, how its
web UI's `tempo tui` sessions connect with them, and how the banner says it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # grpc loads when the server starts, not for --help
    from devserver.tls import TlsSettings


class SecurityFlagError(ValueError):
    """The flags do not go together (one line, for the command line)."""


@dataclass(frozen=True)
class ServerSecurity:
    """TLS and API key of the server, and how its own web UI connects to it."""

    tls: TlsSettings | None = None
    api_key: str | None = field(default=None, repr=False)
    ui_ca_path: str | None = None
    ui_cert_path: str | None = None
    ui_key_path: str | None = None

    @property
    def authenticates(self) -> bool:
        """Whether a client must prove who it is (a client certificate or the API key)."""
        return self.api_key is not None or (self.tls is not None and self.tls.mutual)

    def describe(self) -> list[str]:
        """What the banner says of it: ["TLS", "API key required"], say."""
        said = [self.tls.describe()] if self.tls is not None else []
        return [*said, "API key required"] if self.api_key is not None else said

    def ui_problem(self) -> str | None:
        """Why the web UI cannot connect to this server, if it cannot."""
        if self.tls is not None and self.tls.mutual and self.ui_cert_path is None:
            return (
                "with --tls-ca-path (mutual TLS) its sessions need a client certificate: give "
                "--ui-tls-cert-path and --ui-tls-key-path (or --headless)"
            )
        return None

    def ui_flags(self) -> list[str]:
        """The connection flags of the web UI's `tempo tui` (its sessions get them too)."""
        if self.tls is None:
            return []
        # Absolute: a session must find the files wherever it runs.
        ca = self.ui_ca_path or self.tls.client_ca_path or self.tls.cert_path
        flags = ["--tls-ca-path", os.path.abspath(ca)]
        if self.ui_cert_path is not None and self.ui_key_path is not None:
            flags += ["--tls-cert-path", os.path.abspath(self.ui_cert_path)]
            flags += ["--tls-key-path", os.path.abspath(self.ui_key_path)]
        return flags

    def ui_environment(self) -> dict[str, str]:
        """Variables for the web UI's process, which its sessions inherit. The key goes here,
        not on a command line that every user of the machine can read in `ps`."""
        if self.api_key is None:
            return {}
        # An API key turns TLS on in every client unless told otherwise.
        return {"TEMPORAL_API_KEY": self.api_key, **({"TEMPORAL_TLS": "false"} if self.tls is None else {})}

    def connect_flags(self) -> str:
        """The `tempo workflow list` flags the banner shows (placeholders for the files)."""
        flags = []
        if self.tls is not None:
            flags.append("--tls-ca-path CA_FILE")
            if self.tls.mutual:
                flags.append("--tls-cert-path CLIENT_CERT --tls-key-path CLIENT_KEY")
        if self.api_key is not None:
            flags.append("--api-key KEY")
        return "".join(f" {flag}" for flag in flags)

    def connect_arguments(self) -> str:
        """The `Client.connect` arguments the banner shows."""
        arguments = []
        if self.tls is not None:
            inside = "server_root_ca_cert=..."
            if self.tls.mutual:
                inside += ", client_cert=..., client_private_key=..."
            arguments.append(f"tls=TLSConfig({inside})")
        if self.api_key is not None:
            arguments.append("api_key=..." if self.tls is not None else "api_key=..., tls=False")
        return "".join(f", {argument}" for argument in arguments)


def server_security(
    *,
    cert_path: str | None,
    key_path: str | None,
    ca_path: str | None,
    api_key: str | None,
    ui_ca_path: str | None,
    ui_cert_path: str | None,
    ui_key_path: str | None,
) -> ServerSecurity:
    """The security the flags ask for.

    Raises:
        SecurityFlagError: They do not go together.
    """
    from devserver.tls import TlsSettings

    if (cert_path is None) != (key_path is None):
        raise SecurityFlagError("give --tls-cert-path and --tls-key-path together")
    if cert_path is None and ca_path is not None:
        raise SecurityFlagError("--tls-ca-path (mutual TLS) needs --tls-cert-path and --tls-key-path")
    if (ui_cert_path is None) != (ui_key_path is None):
        raise SecurityFlagError("give --ui-tls-cert-path and --ui-tls-key-path together")
    if cert_path is None and (ui_ca_path or ui_cert_path):
        raise SecurityFlagError("the --ui-tls-* flags need TLS: give --tls-cert-path and --tls-key-path")
    if api_key is not None and not api_key.strip():
        raise SecurityFlagError("--api-key is empty")
    tls = None
    if cert_path is not None and key_path is not None:
        tls = TlsSettings(cert_path, key_path, ca_path)
    return ServerSecurity(tls, api_key.strip() if api_key else None, ui_ca_path, ui_cert_path, ui_key_path)
