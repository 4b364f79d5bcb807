"""The menu (http://localhost:3000): order a dish, then watch the order's status live.

Routes:
    ``GET /``                     the page
    ``GET /api/products``         the menu as JSON
    ``POST /api/orders``          ``{"productId": 2}`` -> 201 ``{"orderId": ..., "productId": 2}``
    ``GET /api/orders/{id}``      the order's status (``getStatus`` plus the run's status)
"""

from __future__ import annotations

import dataclasses
import json
import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..products import PRODUCTS, get_product
from ..settings import Settings
from ._shared import api_error, create_app, page_context, templates
from .orders import OrderDesk

logger = logging.getLogger(__name__)


async def home(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    return templates.TemplateResponse(request, "menu.html", page_context(settings))


async def products(request: Request) -> Response:
    return JSONResponse([dataclasses.asdict(p) | {"price": p.price} for p in PRODUCTS])


async def place_order(request: Request) -> Response:
    desk: OrderDesk = request.app.state.desk
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return api_error(400, 'Send a JSON body like {"productId": 2}.')
    product_id = body.get("productId") if isinstance(body, dict) else None
    if not isinstance(product_id, int) or isinstance(product_id, bool):
        return api_error(400, 'Send a JSON body like {"productId": 2}.')
    product = get_product(product_id)
    if product is None:
        return api_error(404, f"There is no product {product_id} on the menu.")
    order_id = await desk.place(product)
    logger.info("order %s placed: %s (%s)", order_id, product.name, product.price)
    return JSONResponse({"orderId": order_id, "productId": product.id}, status_code=201)


async def order_status(request: Request) -> Response:
    desk: OrderDesk = request.app.state.desk
    return JSONResponse(await desk.status(request.path_params["order_id"]))


def create_menu_app(settings: Settings) -> Starlette:
    """The menu app, talking to the server named in ``settings``."""
    routes = [
        Route("/", home),
        Route("/api/products", products),
        Route("/api/orders", place_order, methods=["POST"]),
        Route("/api/orders/{order_id}", order_status),
    ]
    return create_app(settings, OrderDesk(settings), routes, logger)
