"""The gRPC connection under :class:`sdk.client.Client`: calls, deadlines, error mapping."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import temporalio.api.workflowservice.v1.request_response_pb2 as request_response_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import status_pb2
from temporalio.api.errordetails.v1 import (
    MultiOperationExecutionFailure,
    NamespaceNotFoundFailure,
    QueryFailedFailure,
    WorkflowExecutionAlreadyStartedFailure,
)
from temporalio.api.failure.v1 import MultiOperationExecutionAborted
from temporalio.api.workflowservice.v1.request_response_pb2 import GetSystemInfoRequest, GetSystemInfoResponse

from sdk._connect_options import (
    KeepAliveConfig,
    RetryConfig,
    TLSConfig,
    normalize_metadata,
    status_code,
    use_tls,
    with_retries,
)
from sdk._payload_codec import decode_message, encoded_copy, may_hold_payloads
from sdk.converter import PayloadCodec
from sdk.exceptions import (
    RPCError,
    ServerUnreachableError,
    TempoError,
    WorkflowAlreadyStartedError,
    WorkflowNotFoundError,
    WorkflowQueryFailedError,
)

ResponseT = TypeVar("ResponseT", bound=Message)

_ADDRESS = re.compile(r"^(\[[0-9a-fA-F:]+\]|[^:\s/]+):(\d{1,5})$")
_CONNECT_TIMEOUT = 5.0
# grpc status numbers (grpc.StatusCode's), for the checks made without loading grpc
_DEADLINE_EXCEEDED, _UNIMPLEMENTED, _UNAVAILABLE = 4, 12, 14


def check_address(address: str) -> str:
    """Return ``address`` if it looks like ``host:port``; raise a one-line ValueError if not."""
    match = _ADDRESS.match(address)
    if not match or not 0 < int(match.group(2)) < 65536:
        raise ValueError(f"invalid server address {address!r}: expected HOST:PORT")
    return address


def status_detail(err: Any) -> Any:
    """The first rich error detail (an errordetails message) of a failed call, if any."""
    for key, value in err.trailing_metadata() or ():
        if key != "grpc-status-details-bin" or not isinstance(value, bytes):
            continue
        status = status_pb2.Status()
        try:
            status.ParseFromString(value)
        except Exception:  # a garbled trailer is no reason to hide the real error
            return None
        return _first_detail(status.details)
    return None


def _first_detail(details: Sequence[any_pb2.Any]) -> Any:
    if not details:
        return None
    # Temporal servers put the one interesting detail first.
    for kind in (
        WorkflowExecutionAlreadyStartedFailure,
        NamespaceNotFoundFailure,
        QueryFailedFailure,
    ):
        if details[0].Is(kind.DESCRIPTOR):
            detail = kind()
            details[0].Unpack(detail)
            return detail
    return details[0]


# What gRPC's C core says when a connection fails, and what it means to the user.
_CONNECT_FAILURES = (
    (
        "CERTIFICATE_VERIFY_FAILED",
        "the server's TLS certificate is not signed by a trusted CA (check the CA certificate)",
    ),
    (
        # Another CA of the same name, without key identifiers to tell them apart.
        "BAD_SIGNATURE",
        "the server's TLS certificate is not signed by a trusted CA (check the CA certificate)",
    ),
    (
        "Hostname Verification",
        "the server's TLS certificate is not for this host name (give the name it has as the TLS server name / domain)",
    ),
    ("WRONG_VERSION_NUMBER", "the server does not speak TLS (connect without TLS, or check the port)"),
)


def connect_failure(err: Any, tls: bool) -> str | None:
    """Why a connection failed, in words, when the failure says more than "nothing answers"."""
    details = err.details() or ""
    for marker, reason in _CONNECT_FAILURES:
        if marker in details:
            return reason
    if "Socket closed" in details or "Connection reset by peer" in details:
        # The server hung up during the handshake (closed, or reset when the client had sent more
        # than the server read): a TLS server refusing the client.
        if tls:
            return "the server closed the TLS connection: it wants a client certificate (mutual TLS) it trusts"
        return "the server closed the connection: it may want TLS"
    return None


def map_error(err: Any, address: str, workflow_id: str = "") -> TempoError:
    """Translate a failed gRPC call (grpcio's ``AioRpcError``, or the blocking transport's
    ``CallFailed``) into the matching Tempo exception."""
    import grpc

    code, message = err.code(), err.details() or ""
    detail = status_detail(err)
    if code == grpc.StatusCode.UNAVAILABLE:
        return ServerUnreachableError(address)
    if isinstance(detail, any_pb2.Any) and detail.Is(MultiOperationExecutionFailure.DESCRIPTOR):
        # ExecuteMultiOperation: the operation that failed says why (the others were aborted).
        failure = MultiOperationExecutionFailure()
        detail.Unpack(failure)
        for status in failure.statuses:
            if status.code and not (status.details and status.details[0].Is(MultiOperationExecutionAborted.DESCRIPTOR)):
                code, message = status_code(status.code), status.message
                detail = _first_detail(status.details)
                break
    if isinstance(detail, WorkflowExecutionAlreadyStartedFailure):
        return WorkflowAlreadyStartedError(workflow_id, detail.run_id, message)
    if isinstance(detail, QueryFailedFailure):
        # Both servers attach this detail when a workflow's query handler failed or was
        # missing; any other INVALID_ARGUMENT (a malformed list filter, say) is the request's.
        return WorkflowQueryFailedError(message)
    if code == grpc.StatusCode.NOT_FOUND and not isinstance(detail, NamespaceNotFoundFailure):
        return WorkflowNotFoundError(message, workflow_id)
    return RPCError(code, message)


class Connection:
    """One gRPC channel to a Temporal-compatible server, with headers, retries and error mapping.

    Args:
        address: ``host:port`` of the frontend.
        rpc_timeout: Deadline in seconds for ordinary (non long-poll) calls.
        tls: TLS as ``Client.connect`` takes it (None: on exactly if there is an API key).
        api_key: Sent as ``authorization: Bearer <key>`` unless ``rpc_metadata`` has one.
        rpc_metadata: Headers sent with every call.
        retry_config: Retries of :meth:`call` on transient failures; None: no retries.
        keep_alive_config: HTTP/2 pings; None: none.
        blocking: Calls over :class:`sdk._h2_channel.H2Channel` (no TLS; each call blocks
            the thread until answered) instead of grpcio: for a short-lived process that
            makes a few calls, as a `tempo workflow` command does, where loading grpcio
            would take longer than the calls.
    """

    def __init__(
        self,
        address: str,
        rpc_timeout: float,
        *,
        tls: bool | TLSConfig | None = None,
        api_key: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] | None = None,
        retry_config: RetryConfig | None = None,
        keep_alive_config: KeepAliveConfig | None = KeepAliveConfig.default,
        blocking: bool = False,
    ) -> None:
        self.address = check_address(address)
        self.rpc_timeout = rpc_timeout
        self.api_key = api_key
        self._rpc_metadata = normalize_metadata(rpc_metadata or {})
        self.retry_config = retry_config
        self.tls = use_tls(tls, api_key)
        self.channel: Any = None
        self.service: Any
        if blocking:
            if self.tls is not None:
                raise ValueError("the blocking transport has no TLS")
            from sdk import _h2_channel

            self.channel = _h2_channel.H2Channel(self.address)
            self.service = _BlockingService(self.channel, self.headers)
            self.failure: type[Exception] = _h2_channel.CallFailed
            """What a failed call raises: grpcio's ``AioRpcError`` or the blocking transport's
            ``CallFailed`` (both map to Tempo's exceptions through :func:`map_error`)."""
            self._sleep: Callable[[float], Awaitable[None]] = _blocking_sleep
        else:
            import asyncio

            import grpc.aio
            from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

            from sdk._grpc_channel import open_channel

            self.channel = open_channel(address, self.tls, keep_alive_config, self.headers)
            self.service = WorkflowServiceStub(self.channel)
            self.failure = grpc.aio.AioRpcError
            self._sleep = asyncio.sleep
        self.system_info: GetSystemInfoResponse | None = None

    @property
    def rpc_metadata(self) -> Mapping[str, str | bytes]:
        """Headers sent with every call (set a new mapping to change them)."""
        return dict(self._rpc_metadata)

    @rpc_metadata.setter
    def rpc_metadata(self, value: Mapping[str, str | bytes]) -> None:
        self._rpc_metadata = normalize_metadata(value)

    def headers(self) -> list[tuple[str, str | bytes]]:
        """The headers of the next call: the metadata, and the API key unless it has its own."""
        headers: list[tuple[str, str | bytes]] = list(self._rpc_metadata.items())
        if self.api_key is not None and "authorization" not in self._rpc_metadata:
            headers.append(("authorization", f"Bearer {self.api_key}"))
        return headers

    async def open(self) -> None:
        """Check the server answers, as official SDKs do with GetSystemInfo."""
        try:
            self.system_info = await self.service.GetSystemInfo(GetSystemInfoRequest(), timeout=_CONNECT_TIMEOUT)
        except self.failure as err:
            status = err.code().value[0]  # type: ignore[attr-defined]
            if status == _UNIMPLEMENTED:
                return  # older or minimal servers: the call is optional
            if status == _DEADLINE_EXCEEDED:
                raise ServerUnreachableError(self.address) from None
            if status == _UNAVAILABLE:
                raise ServerUnreachableError(self.address, connect_failure(err, self.tls is not None)) from None
            raise map_error(err, self.address) from None

    async def call(
        self,
        method: Callable[..., Awaitable[ResponseT]],
        request: Message,
        *,
        timeout: float | None = None,
        workflow_id: str = "",
        codec: PayloadCodec | None = None,
    ) -> ResponseT:
        """Make one unary call, retried on transient failures; map gRPC failures to Tempo exceptions.

        Args:
            method: A bound stub method, e.g. ``conn.service.StartWorkflowExecution``.
            request: The request message.
            timeout: Deadline in seconds; defaults to the connection's ``rpc_timeout``.
            workflow_id: Used in error messages and exceptions.
            codec: Encodes the payloads of the request and decodes those of the response.
        """
        if codec is not None and may_hold_payloads(request.DESCRIPTOR):
            request = await encoded_copy(request, codec)

        async def attempt(time_left: float | None) -> ResponseT:
            return await method(request, timeout=time_left)

        try:
            response = await with_retries(
                attempt, self.retry_config, timeout or self.rpc_timeout, failure=self.failure, sleep=self._sleep
            )
        except self.failure as err:
            # `from None`: the gRPC error repeats the same facts with more noise.
            raise map_error(err, self.address, workflow_id) from None
        if codec is not None:
            await decode_message(response, codec)
        return response

    def operator_service(self) -> Any:
        """The OperatorService's methods on this connection, called as the WorkflowService's
        are (``await ...Method(request, timeout=seconds)``): the client wraps none of them, the
        CLI calls them as they are."""
        if isinstance(self.service, _BlockingService):
            from temporalio.api.operatorservice.v1 import request_response_pb2 as operator_messages

            return _BlockingService(self.channel, self.headers, _OPERATOR_PATH, operator_messages)
        from temporalio.api.operatorservice.v1.service_pb2_grpc import OperatorServiceStub

        return OperatorServiceStub(self.channel)

    async def unary_bytes(self, path: str, request: bytes, timeout: float) -> bytes:
        """One call of any unary method (``/package.Service/Method``), request and response as
        bytes, with this connection's headers: for a service without message classes here
        (``grpc.health.v1``). A failure raises :attr:`failure`, unmapped."""
        if isinstance(self.service, _BlockingService):
            metadata = [(key, _text_header(value)) for key, value in self.headers()]
            return bytes(self.channel.unary(path, request, metadata, timeout))
        return bytes(await self.channel.unary_unary(path)(request, timeout=timeout))

    async def close(self) -> None:
        """Close the channel; pending calls are cancelled."""
        if isinstance(self.service, _BlockingService):
            self.channel.close()
        else:
            await self.channel.close()


_WORKFLOW_PATH = "/temporal.api.workflowservice.v1.WorkflowService/"
_OPERATOR_PATH = "/temporal.api.operatorservice.v1.OperatorService/"


class _BlockingService:
    """A service's methods over the blocking transport, called as a grpcio stub's are:
    ``await service.Method(request, timeout=seconds)``. Each call blocks until answered.

    Args:
        channel: The connection's :class:`sdk._h2_channel.H2Channel`.
        headers: The headers of the next call.
        path: The service's path prefix (``/package.Service/``).
        messages: The module of its ``<Method>Request`` and ``<Method>Response`` classes.
    """

    def __init__(
        self,
        channel: Any,
        headers: Callable[[], list[tuple[str, str | bytes]]],
        path: str = _WORKFLOW_PATH,
        messages: Any = request_response_pb2,
    ) -> None:
        self._channel = channel
        self._headers = headers
        self._path = path
        self._messages = messages

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Message]]:
        response_type = getattr(self._messages, f"{method}Response", None)
        if response_type is None:
            raise AttributeError(method)

        async def call(request: Message, *, timeout: float | None = None) -> Message:
            metadata = [(key, _text_header(value)) for key, value in self._headers()]
            message = self._channel.unary(self._path + method, request.SerializeToString(), metadata, timeout or 60.0)
            response = response_type()
            response.ParseFromString(message)
            return response

        return call


def _text_header(value: str | bytes) -> str:
    if isinstance(value, str):
        return value
    import base64  # a -bin header's value travels in base64 (grpc/doc/PROTOCOL-HTTP2.md)

    return base64.b64encode(value).decode("ascii").rstrip("=")


async def _blocking_sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)
