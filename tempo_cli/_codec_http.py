"""The Temporal codec server protocol over HTTP, both ends.

A codec server answers ``POST <endpoint>/encode`` and ``POST <endpoint>/decode`` with a
JSON body ``{"payloads": [...]}``: ``temporal.api.common.v1.Payloads`` in protobuf JSON
(metadata values and data in base64). The answer has the same shape. The caller names its
namespace in ``X-Namespace`` and may send ``Authorization``. The Web UI calls it from the
browser, so the server answers CORS preflights for the origins it is told to trust.

:func:`make_app` is the server (``tempo codec-server``); :class:`RemoteCodec` is a
:class:`~sdk.converter.PayloadCodec` that asks one (``--codec-endpoint``).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from sdk.converter import DataConverter, PayloadCodec

ALLOWED_HEADERS = "X-Namespace, Content-Type, Authorization"


class CodecLoadError(Exception):
    """``--codec module:Class`` does not name a codec that can be made."""


def load_codec(spec: str) -> Any:
    """The codec ``module:Class`` names: the class, made with no arguments (or an instance).

    The current directory is searched first, so a codec next to the user's code is found.

    Raises:
        CodecLoadError: In one line, why not.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise CodecLoadError(f"--codec {spec!r} is not MODULE:CLASS (e.g. myapp.codecs:EncryptionCodec)")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise CodecLoadError(f"cannot import {module_name!r}: {err}") from None
    target = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise CodecLoadError(f"module {module_name!r} has no {attribute!r}")
        target = getattr(target, part)
    try:
        codec = target() if isinstance(target, type) else target
    except Exception as err:
        raise CodecLoadError(f"cannot make {spec}: {type(err).__name__}: {err}") from None
    if not callable(getattr(codec, "encode", None)) or not callable(getattr(codec, "decode", None)):
        raise CodecLoadError(f"{spec} is not a payload codec: it needs async encode(payloads) and decode(payloads)")
    return codec


def payloads_json(payloads: Sequence[Payload]) -> dict[str, Any]:
    """``{"payloads": [...]}`` in protobuf JSON."""
    return json_format.MessageToDict(Payloads(payloads=payloads))


def parse_payloads(body: Any) -> list[Payload]:
    """The payloads of a ``{"payloads": [...]}`` body (text or parsed).

    Raises:
        ValueError: Not that shape.
    """
    message = Payloads()
    try:
        if isinstance(body, str | bytes):
            json_format.Parse(body, message)
        else:
            json_format.ParseDict(body, message)
    except json_format.ParseError as err:
        raise ValueError(f'expected {{"payloads": [...]}} in protobuf JSON: {err}') from None
    return list(message.payloads)


def make_app(codec: Any, cors_origins: Sequence[str] = ()) -> web.Application:
    """The codec server: ``/encode`` and ``/decode`` with ``codec``, CORS for ``cors_origins``
    (``*``: any origin)."""
    origins = set(cors_origins)

    def cors_headers(request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin")
        if not origin or not (origin in origins or "*" in origins):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            # The Web UI can send its own credentials along ("include cross-origin credentials").
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }

    def handler(direction: str) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            headers = cors_headers(request)
            if request.method == "OPTIONS":
                return web.Response(status=200, headers=headers)
            try:
                payloads = parse_payloads(await request.text())
            except ValueError as err:
                return web.Response(status=400, text=f"{err}\n", headers=headers)
            try:
                result = await getattr(codec, direction)(payloads)
            except Exception as err:
                return web.Response(
                    status=400, text=f"cannot {direction} the payloads: {type(err).__name__}: {err}\n", headers=headers
                )
            return web.json_response(payloads_json(result), headers=headers)

        return handle

    app = web.Application()
    for direction in ("encode", "decode"):
        # Behind a path prefix too (--codec-endpoint http://host:port/some/prefix).
        for path in (f"/{direction}", f"/{{prefix:.*}}/{direction}"):
            app.router.add_route("POST", path, handler(direction))
            app.router.add_route("OPTIONS", path, handler(direction))
    return app


class CodecServerError(Exception):
    """The codec server could not be reached or refused; the message says which, in one line."""


class RemoteCodec(PayloadCodec):
    """A payload codec that asks a codec server, as ``temporal --codec-endpoint`` does.

    Args:
        endpoint: The server's base URL; ``/encode`` and ``/decode`` are added.
        namespace: Sent as ``X-Namespace``.
        auth: Sent as the ``Authorization`` header, if given.
        headers: More headers for every request.
    """

    def __init__(
        self, endpoint: str, namespace: str, *, auth: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._headers = {"Content-Type": "application/json", "X-Namespace": namespace, **(headers or {})}
        if auth:
            self._headers["Authorization"] = auth

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self._ask("encode", payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self._ask("decode", payloads)

    async def _ask(self, direction: str, payloads: Sequence[Payload]) -> list[Payload]:
        if not payloads:
            return []
        url = f"{self.endpoint}/{direction}"
        body = json.dumps(payloads_json(payloads))
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
                session.post(url, data=body, headers=self._headers) as response,
            ):
                text = await response.text()
                if response.status != 200:
                    reason = text.strip().splitlines()[0] if text.strip() else response.reason
                    raise CodecServerError(f"codec server {url} answered {response.status}: {reason}")
        except (aiohttp.ClientError, TimeoutError) as err:
            raise CodecServerError(f"cannot reach the codec server at {url}: {err or type(err).__name__}") from None
        try:
            result = parse_payloads(text)
        except ValueError as err:
            raise CodecServerError(f"codec server {url} answered something else: {err}") from None
        if len(result) != len(payloads):
            raise CodecServerError(f"codec server {url} answered {len(result)} payloads for {len(payloads)}")
        return result


def remote_converter(
    endpoint: str | None, namespace: str, auth: str | None = None, headers: Mapping[str, str] | None = None
) -> DataConverter | None:
    """A data converter whose payloads go through the codec server at ``endpoint`` (None without one)."""
    if not endpoint:
        return None
    return DataConverter(payload_codec=RemoteCodec(endpoint, namespace, auth=auth, headers=headers))
