"""TLS for the gRPC port: the server's certificate and key, and, for mutual TLS, the CA that
client certificates must be signed by.

The files are checked before the server opens anything, with the standard library's TLS
(which then serves them), so that a missing file, a file that is not PEM or a key
of another certificate is a one-line error at start, not a handshake every client fails.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl


class TlsError(Exception):
    """A TLS file is missing, unreadable or does not fit (one line, for the command line)."""


@dataclass(frozen=True)
class TlsSettings:
    """Where the server's TLS files are.

    Attributes:
        cert_path: PEM certificate (chain) the server presents.
        key_path: PEM private key of that certificate (not encrypted).
        client_ca_path: PEM CA certificate(s); when set, every client must present a
            certificate signed by one of them (mutual TLS).
    """

    cert_path: str
    key_path: str
    client_ca_path: str | None = None

    @property
    def mutual(self) -> bool:
        return self.client_ca_path is not None

    def describe(self) -> str:
        """How clients connect, for the start-up banner."""
        return "mutual TLS: client certificates required" if self.mutual else "TLS"


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        raise TlsError(f"cannot read the {what} {path}: no such file") from None
    except IsADirectoryError:
        raise TlsError(f"cannot read the {what} {path}: it is a directory") from None
    except OSError as err:
        raise TlsError(f"cannot read the {what} {path}: {err.strerror or err}") from None


def _refuse_encrypted_key() -> str:
    # OpenSSL asks for a passphrase on the terminal otherwise; a dev server has no one to ask.
    raise TlsError("encrypted")


def _check_certificates(pem: bytes, path: str, what: str) -> None:
    """Raise TlsError unless ``pem`` holds PEM certificates OpenSSL can read."""
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise TlsError(f"the {what} {path} is not a PEM certificate")
    import ssl  # here: a plaintext server never loads TLS (tempo_cli._plain_asyncio)

    try:
        ssl.create_default_context().load_verify_locations(cadata=pem.decode("ascii", "replace"))
    except (ssl.SSLError, ValueError):
        raise TlsError(f"the {what} {path} is not a valid PEM certificate") from None


def server_ssl_context(settings: TlsSettings) -> ssl.SSLContext:
    """The server side of TLS for ``settings``, once its files are known to be usable: HTTP/2
    by ALPN (gRPC clients insist on it), client certificates required with a client CA.

    Raises:
        TlsError: A file is missing or unreadable, is not PEM, or the key is not the
            certificate's.
    """
    import ssl

    cert_path, key_path = (os.path.expanduser(path) for path in (settings.cert_path, settings.key_path))
    cert = _read(cert_path, "TLS certificate")
    key = _read(key_path, "TLS key")
    _check_certificates(cert, settings.cert_path, "TLS certificate")
    if b"PRIVATE KEY-----" not in key:
        raise TlsError(f"the TLS key {settings.key_path} is not a PEM private key")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert_path, key_path, password=_refuse_encrypted_key)
    except TlsError:
        raise TlsError(f"the TLS key {settings.key_path} is encrypted: give it without a passphrase") from None
    except ssl.SSLError as err:
        if err.reason == "KEY_VALUES_MISMATCH":
            raise TlsError(
                f"the TLS key {settings.key_path} is not the key of the certificate {settings.cert_path}"
            ) from None
        # The certificate is known to be good: the key is what OpenSSL could not read.
        raise TlsError(f"the TLS key {settings.key_path} is not a valid PEM private key") from None
    except OSError as err:  # a file that went away since it was read
        raise TlsError(f"cannot read the TLS certificate or key: {err.strerror or err}") from None
    client_ca = None
    if settings.client_ca_path is not None:
        client_ca = _read(os.path.expanduser(settings.client_ca_path), "TLS CA certificate")
        _check_certificates(client_ca, settings.client_ca_path, "TLS CA certificate")
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=client_ca.decode("ascii", "replace"))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])
    return context
