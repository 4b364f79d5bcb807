"""A real TLS front for a plaintext server, and the certificates to run it, for connection tests.

The real dev server speaks plaintext gRPC only (Tempo's serves TLS itself, tested in
tests/devserver/test_tls_server.py), so tests put this in front of either: a grpc.aio
server with TLS (optionally mutual) that forwards every call unchanged to the server behind
it, and records the headers each call brought. It can also answer the next calls with a
status of the test's choice, to see what a client retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import grpc.aio

from tests.certificates import Certificates, make_certificates
from tests.servers import free_port

__all__ = ["Certificates", "TLSFront", "make_certificates"]


@dataclass
class Injected:
    code: grpc.StatusCode
    times: int
    message: str


@dataclass
class TLSFront:
    """A TLS (or, with ``certificates=None``, plaintext) gRPC front for ``upstream``."""

    upstream: str
    certificates: Certificates | None
    require_client_cert: bool = False
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    address: str = ""
    _inject: Injected | None = None
    _server: grpc.aio.Server | None = None
    _channel: grpc.aio.Channel | None = None

    def fail_next(self, code: grpc.StatusCode, times: int, message: str = "injected by the test") -> None:
        """Answer the next ``times`` calls with ``code`` instead of forwarding them."""
        self._inject = Injected(code, times, message)

    def headers_of(self, method_suffix: str) -> list[dict[str, str]]:
        """The headers of each recorded call whose method ends with ``method_suffix``."""
        return [headers for method, headers in self.calls if method.endswith(method_suffix)]

    async def start(self) -> TLSFront:
        self._channel = grpc.aio.insecure_channel(self.upstream)
        self._server = grpc.aio.server()
        self._server.add_generic_rpc_handlers((_Forward(self),))
        port = free_port()
        listen = f"127.0.0.1:{port}"
        if self.certificates is None:
            self._server.add_insecure_port(listen)
        else:
            credentials = grpc.ssl_server_credentials(
                [(self.certificates.server_key, self.certificates.server_cert)],
                root_certificates=self.certificates.ca if self.require_client_cert else None,
                require_client_auth=self.require_client_cert,
            )
            self._server.add_secure_port(listen, credentials)
        await self._server.start()
        self.address = listen
        return self

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(grace=None)
        if self._channel is not None:
            await self._channel.close()

    async def forward(self, method: str, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        headers = {key: value for key, value in context.invocation_metadata() or () if isinstance(value, str)}
        self.calls.append((method, headers))
        if self._inject is not None and self._inject.times > 0:
            self._inject.times -= 1
            await context.abort(self._inject.code, self._inject.message)
        assert self._channel is not None
        call = self._channel.unary_unary(method)
        remaining = context.time_remaining()
        try:
            response: bytes = await call(request, timeout=remaining)
        except grpc.aio.AioRpcError as err:
            await context.abort(err.code(), err.details() or "", err.trailing_metadata())
        return response


class _Forward(grpc.GenericRpcHandler):
    """Every method, as raw bytes both ways (all Temporal RPCs are unary)."""

    def __init__(self, front: TLSFront) -> None:
        self._front = front

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method

        async def behaviour(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            return await self._front.forward(method, request, context)

        handler: Callable[..., Any] = behaviour
        return grpc.unary_unary_rpc_method_handler(handler)
