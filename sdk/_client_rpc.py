"""The gRPC connection under :class:`sdk.client.Client`: calls, deadlines, error mapping."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import grpc
import grpc.aio
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
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest, GetSystemInfoResponse
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from sdk._connect_options import (
    CallHeaders,
    KeepAliveConfig,
    RetryConfig,
    TLSConfig,
    normalize_metadata,
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
_STATUS_CODES = {code.value[0]: code for code in grpc.StatusCode}

_ADDRESS = re.compile(r"^(\[[0-9a-fA-F:]+\]|[^:\s/]+):(\d{1,5})$")
_CONNECT_TIMEOUT = 5.0

RECONNECT_BACKOFF_MS = 1000
"""The longest a channel waits between attempts to reach a server that went away (gRPC
adds up to 20% jitter)."""


def check_address(address: str) -> str:
    """Return ``address`` if it looks like ``host:port``; raise a one-line ValueError if not."""
    match = _ADDRESS.match(address)
    if not match or not 0 < int(match.group(2)) < 65536:
        raise ValueError(f"invalid server address {address!r}: expected HOST:PORT")
    return address


def status_detail(err: grpc.aio.AioRpcError) -> Any:
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


def connect_failure(err: grpc.aio.AioRpcError, tls: bool) -> str | None:
    """Why a connection failed, in words, when the failure says more than "nothing answers"."""
    details = err.details() or ""
    for marker, reason in _CONNECT_FAILURES:
        if marker in details:
            return reason
    if "Socket closed" in details:
        # The server hung up during the handshake: a TLS server refusing the client.
        if tls:
            return "the server closed the TLS connection: it wants a client certificate (mutual TLS) it trusts"
        return "the server closed the connection: it may want TLS"
    return None


def map_error(err: grpc.aio.AioRpcError, address: str, workflow_id: str = "") -> TempoError:
    """Translate a failed gRPC call into the matching Tempo exception."""
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
                code, message = _STATUS_CODES.get(status.code, grpc.StatusCode.UNKNOWN), status.message
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
    ) -> None:
        self.address = check_address(address)
        self.rpc_timeout = rpc_timeout
        self.api_key = api_key
        self._rpc_metadata = normalize_metadata(rpc_metadata or {})
        self.retry_config = retry_config
        self.tls = use_tls(tls, api_key)
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
        interceptors = [CallHeaders(self.headers)]
        if self.tls is None:
            self.channel = grpc.aio.insecure_channel(address, options=options, interceptors=interceptors)
        else:
            if self.tls.domain:
                # The name the certificate must carry and the SNI, instead of the host dialled.
                options.append(("grpc.ssl_target_name_override", self.tls.domain))
            self.channel = grpc.aio.secure_channel(
                address, self.tls.channel_credentials(), options=options, interceptors=interceptors
            )
        self.service = WorkflowServiceStub(self.channel)
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
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.UNIMPLEMENTED:
                return  # older or minimal servers: the call is optional
            if err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise ServerUnreachableError(self.address) from None
            if err.code() == grpc.StatusCode.UNAVAILABLE:
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
            response = await with_retries(attempt, self.retry_config, timeout or self.rpc_timeout)
        except grpc.aio.AioRpcError as err:
            # `from None`: the gRPC error repeats the same facts with more noise.
            raise map_error(err, self.address, workflow_id) from None
        if codec is not None:
            await decode_message(response, codec)
        return response

    async def close(self) -> None:
        """Close the channel; pending calls are cancelled."""
        await self.channel.close()
