"""`start-dev --api-key KEY`: every call must bring the header ``authorization: Bearer KEY``.

The transport refuses the others with UNAUTHENTICATED before any handler runs. The
health checks stay open, as the real server's authorizer always allows them
(``grpc.health.v1.Health/Check`` and ``GetSystemInfo``, which clients call to connect): a
load balancer or `temporal operator cluster health` needs no key, and they tell nothing.
"""

from __future__ import annotations

OPEN_METHODS = frozenset(
    {
        "/grpc.health.v1.Health/Check",
        "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo",
    }
)
"""Methods that answer without a key (the real server's health-check APIs)."""

_NO_KEY = "Request unauthenticated: this server needs an API key (send the header 'authorization: Bearer <key>')"
_NOT_BEARER = "Request unauthenticated: the authorization header must be 'Bearer <key>'"
_WRONG_KEY = "Request unauthenticated: the API key is not valid"


def refusal(authorization: str | None, api_key: str) -> str | None:
    """Why a call with this ``authorization`` header is refused; None when it may go on."""
    if not authorization:
        return _NO_KEY
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _NOT_BEARER
    # In constant time: how long a wrong key took to refuse says nothing of the right one.
    import hmac  # only a server with an API key checks one

    if not hmac.compare_digest(token.strip().encode(), api_key.encode()):
        return _WRONG_KEY
    return None


class Authorizer:
    """Why a call to a method but the health checks that lacks ``authorization: Bearer <api_key>``
    is refused (:class:`devserver.h2_server.H2Server` asks before the handler runs)."""

    def __init__(self, api_key: str) -> None:
        if not api_key:
            raise ValueError("the API key is empty")
        self._api_key = api_key

    def __call__(self, method: str, headers: dict[str, str]) -> str | None:
        if method in OPEN_METHODS:
            return None
        return refusal(headers.get("authorization"), self._api_key)
