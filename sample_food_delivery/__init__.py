"""The food-delivery sample: an order workflow, its worker, a menu and a driver portal.

Run everything with ``python -m sample_food_delivery`` (a dev server must be
running: ``tempo server start-dev``), then open http://localhost:3000 to order and
http://localhost:3001 to deliver.

Modules: :mod:`.workflows` (the ``order`` workflow), :mod:`.activities` (fake
payment and notification services), :mod:`.products` (the menu),
:mod:`.worker`, :mod:`.web` (the two Starlette apps) and :mod:`.runner` (all of
them in one process).
"""
