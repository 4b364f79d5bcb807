"""The grpcio side of :class:`sdk._client_rpc.Connection`: its channel and the headers of each call.

Kept apart so that a client on the blocking HTTP/2 transport (:mod:`sdk._h2_channel`) never
loads grpcio.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio

from sdk._connect_options import KeepAliveConfig, TLSConfig

RECONNECT_BACKOFF_MS = 1000
"""The longest a channel waits between attempts to reach a server that went away (gRPC
adds up to 20% jitter)."""


def open_channel(
    address: str,
    tls: TLSConfig | None,
    keep_alive_config: KeepAliveConfig | None,
    headers: Callable[[], list[tuple[str, str | bytes]]],
) -> grpc.aio.Channel:
    """A grpcio channel to ``address`` whose calls carry ``headers()`` as they are at each call."""
    options: list[tuple[str, object]] = [
        # Histories and list pages can be large; the server caps them anyway.
        ("grpc.max_receive_message_length", 128 * 1024 * 1024),
        # gRPC waits longer after each failed connection attempt: 1 s, then 1.6 times
        # longer each time, up to 2 minutes. After a server was down for 45 s, the
        # next attempt came up to 20 s after it was back (and channels to the same
        # address share that wait). A dev server restarts in a second: try each second.
        ("grpc.initial_reconnect_backoff_ms", RECONNECT_BACKOFF_MS),
        ("grpc.max_reconnect_backoff_ms", RECONNECT_BACKOFF_MS),
    ]
    if keep_alive_config is not None:
        options += keep_alive_config.channel_options()
    interceptors = [CallHeaders(headers)]
    if tls is None:
        return grpc.aio.insecure_channel(address, options=options, interceptors=interceptors)
    if tls.domain:
        # The name the certificate must carry and the SNI, instead of the host dialled.
        options.append(("grpc.ssl_target_name_override", tls.domain))
    return grpc.aio.secure_channel(address, tls.channel_credentials(), options=options, interceptors=interceptors)


class CallHeaders(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Adds the client's headers to every call on a channel, as they are at the call.

    Read at each call, so a client whose API key or metadata changes (a rotated key)
    sends the new value from its next call on, over the same connection.
    """

    def __init__(self, headers: Callable[[], list[tuple[str, str | bytes]]]) -> None:
        self._headers = headers

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        headers = self._headers()
        if headers:
            metadata = grpc.aio.Metadata(*(client_call_details.metadata or ()))
            for key, value in headers:
                if key not in metadata:
                    metadata.add(key, value)
            client_call_details = grpc.aio.ClientCallDetails(
                client_call_details.method,
                client_call_details.timeout,
                metadata,
                client_call_details.credentials,
                client_call_details.wait_for_ready,
            )
        return await continuation(client_call_details, request)
