"""How a client reaches a server beyond plaintext: TLS, API key, headers, keep-alive, retries.

The names and defaults are the official Python SDK's (``temporalio.service``), so connection
code moves between the two SDKs unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:  # grpc loads with the first grpcio channel, not with the client's modules
    import grpc

ResultT = TypeVar("ResultT")

TRANSIENT_CODES = frozenset({14, 8})
"""Failures worth trying again (grpc status numbers): the server is away (UNAVAILABLE) or
asks to slow down (RESOURCE_EXHAUSTED). Anything else is the request's or the server's
answer, and repeating the call would not change it."""


def status_code(number: int) -> grpc.StatusCode:
    """grpc's ``StatusCode`` of a status number (UNKNOWN for a number it lacks); loads grpc."""
    import grpc

    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


def is_transient(err: Any) -> bool:
    """Whether the same call may well succeed if made again a little later (``err``: a failed
    call, grpcio's ``AioRpcError`` or :class:`sdk._h2_channel.CallFailed`)."""
    if err.code().value[0] not in TRANSIENT_CODES:
        return False
    # gRPC says RESOURCE_EXHAUSTED for a message over its size limit too: that one fails
    # every time.
    return "larger than max" not in (err.details() or "")


@dataclass(frozen=True)
class TLSConfig:
    """TLS for the connection; ``Client.connect(tls=True)`` is TLS with the system's roots.

    Attributes:
        server_root_ca_cert: PEM of the CA that signed the server's certificate; the
            system's roots when None.
        domain: Name the server's certificate must carry (and the SNI sent), when it
            differs from the host connected to.
        client_cert: PEM certificate chain for mutual TLS (with ``client_private_key``).
        client_private_key: PEM private key of ``client_cert``.
    """

    server_root_ca_cert: bytes | None = None
    domain: str | None = None
    client_cert: bytes | None = None
    client_private_key: bytes | None = None

    def __post_init__(self) -> None:
        if (self.client_cert is None) != (self.client_private_key is None):
            raise ValueError("TLSConfig: client_cert and client_private_key must be given together")

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """The gRPC credentials this configuration describes."""
        import grpc

        return grpc.ssl_channel_credentials(
            root_certificates=self.server_root_ca_cert,
            private_key=self.client_private_key,
            certificate_chain=self.client_cert,
        )


@dataclass(frozen=True)
class RetryConfig:
    """How calls that failed for a transient reason (UNAVAILABLE, RESOURCE_EXHAUSTED) are retried.

    The wait before retry ``n`` is ``initial_interval_millis * multiplier**(n-1)``, at most
    ``max_interval_millis``, spread by ``± randomization_factor`` so that many clients do not
    come back at once. Retries stop after ``max_retries`` or ``max_elapsed_time_millis``, or
    at the call's own deadline, whichever comes first.
    """

    initial_interval_millis: int = 100
    randomization_factor: float = 0.2
    multiplier: float = 1.5
    max_interval_millis: int = 5000
    max_elapsed_time_millis: int | None = 10000
    max_retries: int = 10

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based), jitter included."""
        base = min(self.initial_interval_millis * self.multiplier ** (retry - 1), self.max_interval_millis)
        spread = base * self.randomization_factor
        import random  # here: a call that is never retried (a `tempo` command's) never needs it

        return max(0.0, base + random.uniform(-spread, spread)) / 1000


@dataclass(frozen=True)
class KeepAliveConfig:
    """HTTP/2 pings that find a dead connection (a NAT or load balancer that dropped it).

    Attributes:
        interval_millis: Time between pings.
        timeout_millis: How long a ping may go unanswered before the connection is closed.
    """

    interval_millis: int = 30000
    timeout_millis: int = 15000
    default: ClassVar[KeepAliveConfig]

    def channel_options(self) -> list[tuple[str, Any]]:
        """The gRPC channel options for these pings."""
        return [
            ("grpc.keepalive_time_ms", self.interval_millis),
            ("grpc.keepalive_timeout_ms", self.timeout_millis),
            # Workers sit in long polls; the pings must go on without other traffic.
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
        ]


KeepAliveConfig.default = KeepAliveConfig()


def use_tls(tls: bool | TLSConfig | None, api_key: str | None) -> TLSConfig | None:
    """The TLS a connection uses: as asked, or, when not said, on exactly if there is an API key.

    An API key sent in the clear would be a secret given away, so the official SDKs turn
    TLS on for it unless told ``tls=False``.
    """
    if isinstance(tls, TLSConfig):
        return tls
    if tls is True or (tls is None and api_key is not None):
        return TLSConfig()
    return None


def normalize_metadata(metadata: Mapping[str, str | bytes]) -> dict[str, str | bytes]:
    """Check headers as gRPC will (lower-case keys; bytes only under ``-bin`` keys)."""
    normalized: dict[str, str | bytes] = {}
    for key, value in metadata.items():
        name = key.lower()
        if isinstance(value, bytes) != name.endswith("-bin"):
            raise TypeError(f"gRPC metadata {key!r}: binary values need a key ending in '-bin', and only they")
        normalized[name] = value
    return normalized


async def with_retries(
    attempt: Callable[[float | None], Awaitable[ResultT]],
    config: RetryConfig | None,
    timeout: float | None,
    *,
    failure: type[Exception],
    sleep: Callable[[float], Awaitable[None]],
) -> ResultT:
    """Run ``attempt(time_left)`` until it succeeds, fails for good, or the retries run out.

    Args:
        attempt: One call, given the seconds left of the overall deadline.
        config: The retry policy; None makes one attempt only.
        timeout: The overall deadline in seconds (None: only the policy's limits).
        failure: What a failed call raises (grpcio's ``AioRpcError``, or ``CallFailed``).
        sleep: Waits between attempts (``asyncio.sleep``, or a blocking sleep).
    """
    started = time.monotonic()  # the clock of asyncio's loop.time()
    deadline = started + timeout if timeout is not None else None
    retry = 0
    while True:
        left = None if deadline is None else max(deadline - time.monotonic(), 0.001)
        try:
            return await attempt(left)
        except failure as err:
            retry += 1
            if config is None or not is_transient(err) or retry > config.max_retries:
                raise
            wait = config.backoff(retry)
            after = time.monotonic() + wait
            if config.max_elapsed_time_millis is not None and after - started > config.max_elapsed_time_millis / 1000:
                raise
            if deadline is not None and after >= deadline:
                raise
            await sleep(wait)
