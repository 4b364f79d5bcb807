"""What a run of the sample is configured with: the server, the task queue, ports, timeouts.

Every setting has a command-line flag (see ``python -m sample_food_delivery --help``);
the connection to the server (address, namespace, TLS, API key) also comes from the
``TEMPORAL_*`` variables and the profiles file, as for the ``temporal`` and ``tempo`` commands
and the official SDKs, so the sample runs unchanged against a cluster behind TLS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .activities import FailureSettings
from .workflows import OrderTimeouts

DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_NAMESPACE = "default"
DEFAULT_TASK_QUEUE = "food-delivery"
DEFAULT_MENU_PORT = 3000
DEFAULT_DRIVER_PORT = 3001


@dataclass(frozen=True)
class Settings:
    """One run's configuration, shared by the worker and both web apps.

    Attributes:
        address: ``host:port`` of the Temporal (or Tempo) server.
        namespace: Namespace the orders live in.
        task_queue: Task queue the worker polls and the menu starts orders on.
        host: Interface the web apps listen on.
        menu_port: Port of the menu (the customer's page).
        driver_port: Port of the driver portal.
        timeouts: Waits of new orders (the menu passes them to the workflow).
        failures: How unreliable the worker's fake services are.
        server_wait: Seconds the worker waits for a server that is not up yet.
        connect_options: More ``Client.connect`` arguments: ``tls``, ``api_key``,
            ``rpc_metadata`` (from the flags, the environment and the profile).
    """

    address: str = DEFAULT_ADDRESS
    namespace: str = DEFAULT_NAMESPACE
    task_queue: str = DEFAULT_TASK_QUEUE
    host: str = "127.0.0.1"
    menu_port: int = DEFAULT_MENU_PORT
    driver_port: int = DEFAULT_DRIVER_PORT
    timeouts: OrderTimeouts = field(default_factory=OrderTimeouts)
    failures: FailureSettings = field(default_factory=FailureSettings)
    server_wait: float = 15.0
    connect_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def menu_url(self) -> str:
        """Where a browser finds the menu."""
        return f"http://{_browser_host(self.host)}:{self.menu_port}"

    @property
    def driver_url(self) -> str:
        """Where a browser finds the driver portal."""
        return f"http://{_browser_host(self.host)}:{self.driver_port}"


def _browser_host(host: str) -> str:
    return "localhost" if host in ("0.0.0.0", "::", "") else host
