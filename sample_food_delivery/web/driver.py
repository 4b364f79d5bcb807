"""The driver portal (http://localhost:3001): see the orders, pick them up, deliver them.

Routes:
    ``GET /``                           the page
    ``GET /api/orders``                 recent orders on the task queue with their status
    ``POST /api/orders/{id}/pickup``    sends the ``pickedUp`` signal
    ``POST /api/orders/{id}/deliver``   sends the ``delivered`` signal
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..settings import Settings
from ..workflows import DELIVERED_SIGNAL, PICKED_UP_SIGNAL
from ._shared import create_app, page_context, templates
from .orders import OrderDesk

logger = logging.getLogger(__name__)


async def home(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    return templates.TemplateResponse(request, "driver.html", page_context(settings))


async def orders(request: Request) -> Response:
    desk: OrderDesk = request.app.state.desk
    return JSONResponse({"orders": await desk.recent()})


async def _signal(request: Request, signal: str) -> Response:
    desk: OrderDesk = request.app.state.desk
    order_id = request.path_params["order_id"]
    await desk.signal(order_id, signal)
    logger.info("order %s: sent %s", order_id, signal)
    return JSONResponse({"orderId": order_id, "signal": signal}, status_code=202)


async def pick_up(request: Request) -> Response:
    return await _signal(request, PICKED_UP_SIGNAL)


async def deliver(request: Request) -> Response:
    return await _signal(request, DELIVERED_SIGNAL)


def create_driver_app(settings: Settings) -> Starlette:
    """The driver portal, talking to the server named in ``settings``."""
    routes = [
        Route("/", home),
        Route("/api/orders", orders),
        Route("/api/orders/{order_id}/pickup", pick_up, methods=["POST"]),
        Route("/api/orders/{order_id}/deliver", deliver, methods=["POST"]),
    ]
    return create_app(settings, OrderDesk(settings), routes, logger)
