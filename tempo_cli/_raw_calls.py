"""Calls of the raw WorkflowService for what the SDK client does not wrap (batch jobs, schedules),
with its errors mapped as the client maps its own (so the CLI prints one line, the TUI a notice)."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message

RPC_TIMEOUT = 10.0


async def call(client: Any, method: Any, request: Message, workflow_id: str = "") -> Any:
    """One call of `client.service.<method>`, its failure as the SDK client's RPCError subclasses;
    payloads go through the client's codec (``--codec-endpoint``) both ways."""
    from sdk._client_rpc import map_error
    from sdk._payload_codec import coded_call

    try:
        return await coded_call(method, request, client.data_converter.payload_codec, timeout=RPC_TIMEOUT)
    except client._conn.failure as err:  # grpcio's error, or the blocking transport's
        raise map_error(err, client.address, workflow_id) from None
