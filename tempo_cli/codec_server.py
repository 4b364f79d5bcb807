"""`tempo codec-server`: serve a payload codec over HTTP for `tempo`, `temporal` and the Web UI."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from tempo_cli._context import abort, note


def codec_server(
    codec: Annotated[
        str,
        typer.Option(
            "--codec",
            metavar="MODULE:CLASS",
            help="The payload codec: a class with async encode(payloads) and decode(payloads) (Tempo's "
            "sdk.converter.PayloadCodec or the official SDK's), made with no arguments. The current "
            "directory is searched first.",
            show_default=False,
        ),
    ],
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 8081,
    ip: Annotated[str, typer.Option("--ip", help="IP address to listen on.")] = "127.0.0.1",
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin",
            metavar="ORIGIN",
            help="Origin the Web UI is served from, allowed to call from the browser, e.g. "
            "http://localhost:8233 (repeatable; * for any).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve a payload codec as a Temporal codec server: POST /encode and /decode.

    Then `tempo workflow show --codec-endpoint http://127.0.0.1:8081 ...` (or `temporal ...
    --codec-endpoint`, or the Web UI's codec server setting) shows decoded payloads.

    Examples:

      tempo codec-server --codec myapp.codecs:EncryptionCodec

      tempo codec-server --codec myapp.codecs:EncryptionCodec --port 8081 --cors-origin http://localhost:8233
    """
    if not 0 < port < 65536:
        abort(f"invalid port {port}")
    from tempo_cli._codec_http import CodecLoadError, load_codec, make_app

    try:
        loaded = load_codec(codec)
    except CodecLoadError as err:
        abort(str(err))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(make_app(loaded, cors_origin or ()), ip, port, codec))


async def _serve(app: object, ip: str, port: int, codec: str) -> None:
    from aiohttp import web

    assert isinstance(app, web.Application)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, ip, port).start()
    except OSError as err:
        await runner.cleanup()
        abort(f"cannot listen on {ip}:{port}: {err.strerror or err}")
    host = f"[{ip}]" if ":" in ip else ip
    note(f"Codec server ({codec}) listening on http://{host}:{port}")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
