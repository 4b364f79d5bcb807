"""Composition root: build the server's parts once and run them until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import grpc
from temporalio.api.workflowservice.v1 import service_pb2_grpc

from devserver.clock import Clock, SystemClock
from devserver.engine import Engine, EngineConfig
from devserver.grpc_service import WorkflowService
from devserver.namespaces import NamespaceRegistry
from devserver.store import MemoryStore
from devserver.visibility import VisibilityIndex

log = logging.getLogger("tempo.server")


class PortInUse(Exception):
    """The address to listen on is taken."""


@dataclass
class ServerConfig:
    ip: str = "127.0.0.1"
    port: int = 7233
    namespaces: list[str] = field(default_factory=list)
    long_poll_timeout: float = 60.0
    # How long in-flight RPCs get to finish when the server stops.
    shutdown_grace: float = 2.0

    @property
    def address(self) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{host}:{self.port}"


def build_engine(config: ServerConfig, clock: Clock | None = None) -> Engine:
    namespaces = NamespaceRegistry()
    namespaces.register("default")
    for name in config.namespaces:
        namespaces.register(name, exist_ok=True)
    return Engine(
        clock or SystemClock(),
        MemoryStore(),
        namespaces,
        VisibilityIndex(),
        EngineConfig(long_poll_timeout=config.long_poll_timeout),
    )


class DevServer:
    """A started server: its engine and its gRPC listener."""

    def __init__(self, config: ServerConfig, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self.grpc = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", 128 * 1024 * 1024),
                ("grpc.max_send_message_length", 128 * 1024 * 1024),
            ]
        )
        # The generated stub types the servicer as synchronous; ours is async and duck-typed.
        service_pb2_grpc.add_WorkflowServiceServicer_to_server(WorkflowService(engine), self.grpc)  # type: ignore[arg-type]
        self.port = 0

    async def start(self) -> None:
        try:
            self.port = self.grpc.add_insecure_port(self.config.address)
        except RuntimeError as exc:
            raise PortInUse(f"cannot listen on {self.config.address}: address already in use") from exc
        if self.port == 0:
            raise PortInUse(f"cannot listen on {self.config.address}: address already in use")
        await self.grpc.start()

    async def stop(self) -> None:
        """Answer long polls, let in-flight RPCs finish, then close the listener."""
        await self.engine.shutdown()
        await self.grpc.stop(self.config.shutdown_grace)


async def serve(
    config: ServerConfig,
    *,
    shutdown_trigger: Callable[[], Awaitable[object]] | None = None,
    on_ready: Callable[[DevServer], None] | None = None,
) -> None:
    """Run the dev server until `shutdown_trigger` returns (default: SIGINT/SIGTERM)."""
    if shutdown_trigger is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        shutdown_trigger = stop.wait
    server = DevServer(config, build_engine(config))
    await server.start()
    if on_ready is not None:
        on_ready(server)
    try:
        await shutdown_trigger()
    finally:
        log.info("shutting down")
        await server.stop()
