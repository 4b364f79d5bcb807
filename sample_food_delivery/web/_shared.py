"""What the menu and the driver portal share: templates, static files, errors, logging."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sdk.exceptions import RPCError, ServerUnreachableError, WorkflowNotFoundError

from ..products import PRODUCTS
from ..settings import Settings
from .orders import OrderDesk

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def api_error(status: int, message: str) -> JSONResponse:
    """The JSON every ``/api`` route answers a failure with: ``{"error": message}``."""
    return JSONResponse({"error": message}, status_code=status)


async def _temporal_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ServerUnreachableError):
        return api_error(503, f"Cannot reach the Temporal server at {exc.address}. Is it running?")
    if isinstance(exc, WorkflowNotFoundError):
        order_id = request.path_params.get("order_id", "")
        if exc.already_closed:
            return api_error(409, f"Order {order_id} is already closed.")
        return api_error(404, f"No order {order_id}.")
    assert isinstance(exc, RPCError)
    return api_error(502, f"The Temporal server refused the request: {exc}")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return api_error(exc.status_code, str(exc.detail))
    return Response(str(exc.detail), status_code=exc.status_code, media_type="text/plain")


class _ActionLog:
    """Logs what people do (pages opened, buttons pressed) and what went wrong, not the polling."""

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.monotonic()

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            method, path = scope["method"], scope["path"]
            polling = method == "GET" and (path.startswith("/api/") or path.startswith("/static/"))
            if status >= 400 or not polling:
                level = logging.WARNING if status >= 500 else logging.INFO
                elapsed = (time.monotonic() - started) * 1000
                self.logger.log(level, "%s %s -> %d (%.0f ms)", method, path, status, elapsed)


def create_app(settings: Settings, desk: OrderDesk, routes: Sequence[BaseRoute], logger: logging.Logger) -> Starlette:
    """A Starlette app with the shared pieces around ``routes``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await desk.close()

    app = Starlette(
        routes=[*routes, Mount("/static", StaticFiles(directory=HERE / "static"), name="static")],
        exception_handlers={RPCError: _temporal_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.add_middleware(_ActionLog, logger=logger)
    app.state.settings = settings
    app.state.desk = desk
    return app


def page_context(settings: Settings, **extra: Any) -> dict[str, Any]:
    """What every page template gets."""
    return {
        "products": PRODUCTS,
        "products_data": [{"id": p.id, "name": p.name, "price": p.price, "image": p.image} for p in PRODUCTS],
        "menu_url": settings.menu_url,
        "driver_url": settings.driver_url,
        "task_queue": settings.task_queue,
        "address": settings.address,
        "namespace": settings.namespace,
        **extra,
    }
