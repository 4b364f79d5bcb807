"""Composition root: build the server's parts once and run them until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import temporalio.api.operatorservice.v1.request_response_pb2 as operator_messages
import temporalio.api.operatorservice.v1.service_pb2 as operator_pb
import temporalio.api.testservice.v1.request_response_pb2 as test_messages
import temporalio.api.testservice.v1.service_pb2 as test_pb
import temporalio.api.workflowservice.v1.request_response_pb2 as workflow_messages
import temporalio.api.workflowservice.v1.service_pb2 as service_pb2

from devserver.api_key import Authorizer
from devserver.clock import Clock, SkippingClock, SystemClock
from devserver.core.limits import Limits
from devserver.core.mutable_state import MutableState
from devserver.engine import Engine, EngineConfig
from devserver.grpc_handlers import DEFAULT_CONCURRENT_LONG_POLLS, LongPollLimiter, add_service
from devserver.grpc_service import WorkflowService, abort
from devserver.h2_server import CallContext, H2Server, Method
from devserver.listen_address import release_stop_signal
from devserver.metrics import Metrics
from devserver.namespace_ops import NamespaceOps
from devserver.namespaces import NamespaceRegistry
from devserver.operator_service import OperatorService
from devserver.retention import RetentionReaper
from devserver.store import HistoryStore, MemoryStore, StoreError
from devserver.test_service import TestService
from devserver.tls import TlsSettings, server_ssl_context
from devserver.visibility import VisibilityIndex
from tempo_wire.status import StatusCode

if TYPE_CHECKING:
    import socket
    import ssl

log = logging.getLogger("tempo.server")


# The largest request the server reads; a bigger one is answered RESOURCE_EXHAUSTED.
MAX_REQUEST_BYTES = 4 * 1024 * 1024


class PortInUse(Exception):
    """The address to listen on is taken."""


@dataclass
class ServerConfig:
    """How a dev server is set up: address, namespaces, limits, store, clock and security."""

    ip: str = "127.0.0.1"
    port: int = 7233
    namespaces: list[str] = field(default_factory=list)
    # How long a worker's task poll waits (matching.longPollExpirationInterval) and a
    # history long poll waits (history.longPollExpirationInterval), in seconds.
    long_poll_timeout: float = 60.0
    history_long_poll_timeout: float = 20.0
    # History and payload limits (limit.* dynamic config keys).
    limits: Limits = field(default_factory=Limits)
    # Hand a new run's first workflow task back in the start response when the client asks
    # (system.enableEagerWorkflowStart; on by default, as on the real dev server).
    eager_workflow_start: bool = True
    # PauseWorkflowExecution / UnpauseWorkflowExecution answer UNIMPLEMENTED unless set
    # (frontend.WorkflowPauseEnabled; off by default, as on the real dev server).
    workflow_pause_enabled: bool = False
    # SQLite file for durable state; None keeps everything in memory.
    db_filename: str | None = None
    sqlite_pragmas: list[str] = field(default_factory=list)
    # Custom search attributes to register in every namespace at start: name -> IndexedValueType.
    search_attributes: dict[str, int] = field(default_factory=dict)
    # Concurrent long-running calls per namespace and method (frontend.namespaceCount).
    concurrent_long_polls: int = DEFAULT_CONCURRENT_LONG_POLLS
    # How long in-flight RPCs get to finish when the server stops.
    shutdown_grace: float = 2.0
    # Where Prometheus metrics are served (`/metrics`); None serves none.
    metrics_port: int | None = None
    # Run on a virtual clock that skips to the next deadline when nothing else is going on,
    # and serve the TestService that controls it (devserver.test_service).
    time_skipping: bool = False
    # Per-workflow time skipping, TimeSkippingConfig (frontend.WorkflowTimeSkippingEnabled; the
    # real dev server 1.9.1 has it off unless set, Tempo on, so the SDK's TimeSkipper works
    # against a plain `start-dev`).
    workflow_time_skipping: bool = True
    # TLS on the gRPC port (mutual when it names a CA for client certificates); None: plaintext.
    tls: TlsSettings | None = None
    # Calls must bring `authorization: Bearer <api_key>` (devserver.api_key); None: no key asked.
    api_key: str | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{host}:{self.port}"


def build_store(config: ServerConfig, on_fatal: Callable[[str], None] | None = None) -> HistoryStore:
    if config.db_filename is None:
        return MemoryStore()
    # Here, not at the top: an in-memory server (the usual one) starts without SQLite.
    from devserver.sqlite_store import SqliteStore, parse_pragmas

    return SqliteStore(config.db_filename, parse_pragmas(config.sqlite_pragmas), on_fatal)


def build_clock(config: ServerConfig) -> Clock:
    if not config.time_skipping:
        return SystemClock()
    # The virtual time is kept next to the database, so a restart never moves it back.
    return SkippingClock(state_file=f"{config.db_filename}.clock" if config.db_filename else None)


async def open_engine(config: ServerConfig, store: HistoryStore, clock: Clock | None = None) -> Engine:
    """An engine over `store`, holding whatever the store kept from earlier runs."""
    loaded = await store.load()
    if clock is None:
        clock = build_clock(config)
    engine = Engine(
        clock,
        store,
        NamespaceRegistry(),
        VisibilityIndex(),
        EngineConfig(
            long_poll_timeout=config.long_poll_timeout,
            history_long_poll_timeout=config.history_long_poll_timeout,
            limits=config.limits,
            eager_workflow_start=config.eager_workflow_start,
            workflow_pause_enabled=config.workflow_pause_enabled,
            time_skipping_enabled=config.workflow_time_skipping,
        ),
    )
    if isinstance(clock, SkippingClock):
        clock.holds = engine.outstanding_work
        # Time never goes backwards, even past a crash that lost the kept virtual time.
        last_times = [_last_event_time(store, state) for state in loaded.states]
        last_times += [(rest.record.close_micros or 0) / 1e6 for rest in loaded.at_rest]
        clock.catch_up(max(last_times, default=0.0))
    await engine.restore(loaded)
    for name in ["default", *config.namespaces]:
        if name not in engine.namespaces.namespaces:
            await store.save_namespace(engine.namespaces.register(name))
        if config.search_attributes:
            await NamespaceOps(engine).add_search_attributes(name, config.search_attributes)
    return engine


def _last_event_time(store: HistoryStore, state: MutableState) -> float:
    last = store.read(state.key, state.next_event_id - 1, state.next_event_id - 1)
    return last[0].event_time.ToNanoseconds() / 1e9 if last else 0.0


def _add_health_service(server: H2Server) -> None:
    """grpc.health.v1.Health/Check (`temporal operator cluster health`): SERVING for the server
    (no service named) and for each service it serves, NOT_FOUND for any other, as grpc's
    health servers answer."""

    async def check(request: bytes, context: CallContext) -> bytes:
        service = _health_check_service(request)
        if service and not any(path.startswith(f"/{service}/") for path in server.methods):
            await context.abort(StatusCode.NOT_FOUND, "unknown service")
        return b"\x08\x01"  # HealthCheckResponse{status: SERVING}, hand-encoded: no extra dependency

    server.add_method("/grpc.health.v1.Health/Check", Method(bytes, check, bytes))


def _health_check_service(request: bytes) -> str:
    """The `service` of a HealthCheckRequest (its field 1, a string), read by hand."""
    if len(request) < 2 or request[0] != 0x0A:
        return ""
    length, at, shift = 0, 1, 0
    while at < len(request):
        byte = request[at]
        length |= (byte & 0x7F) << shift
        at += 1
        shift += 7
        if not byte & 0x80:
            break
    return request[at : at + length].decode("utf-8", "replace")


class DevServer:
    """A started server: its engine and its gRPC listener."""

    def __init__(
        self,
        config: ServerConfig,
        engine: Engine,
        tls: ssl.SSLContext | None = None,
        listening: socket.socket | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.tls = tls
        # A socket already listening on the config's address (bound early, see `run`), or None.
        self.listening = listening
        # As the real server (grpc-go's defaults): requests up to 4 MiB, answers of any size.
        self.rpc = H2Server(MAX_REQUEST_BYTES, Authorizer(config.api_key) if config.api_key else None)
        self.limiter = LongPollLimiter(config.concurrent_long_polls)
        self.metrics = Metrics() if config.metrics_port is not None else None
        engine.metrics = self.metrics
        workflow_service = service_pb2.DESCRIPTOR.services_by_name["WorkflowService"]
        self.workflow_service = WorkflowService(engine)
        add_service(
            self.rpc, self.workflow_service, workflow_service, abort, self.limiter, self.metrics, workflow_messages
        )
        operator_service = operator_pb.DESCRIPTOR.services_by_name["OperatorService"]
        self.operator_service = OperatorService(engine, self.workflow_service.namespace_contents)
        add_service(
            self.rpc, self.operator_service, operator_service, abort, metrics=self.metrics, messages=operator_messages
        )
        self._stop_metrics: Callable[[], None] | None = None
        if isinstance(engine.clock, SkippingClock):
            test_service = test_pb.DESCRIPTOR.services_by_name["TestService"]
            add_service(self.rpc, TestService(engine, engine.clock), test_service, abort, messages=test_messages)
        _add_health_service(self.rpc)
        self.reaper = RetentionReaper(engine)
        self.port = 0

    async def start(self) -> None:
        try:
            self.port = await self.rpc.listen(self.config.ip, self.config.port, self.tls, self.listening)
        except OSError as exc:
            reason = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            raise PortInUse(f"cannot listen on {self.config.address}: {reason}") from exc
        self.operator_service.address = self.workflow_service.address = f"{self.config.ip}:{self.port}"
        if self.metrics is not None and self.config.metrics_port is not None:
            try:
                self._stop_metrics = self.metrics.serve(self.config.ip, self.config.metrics_port)
            except OSError as exc:
                raise PortInUse(f"cannot serve metrics on {self.config.ip}:{self.config.metrics_port}: {exc}") from exc
        # Before the first request: a job kept from before the restart is there to describe.
        if self.engine.saved_batch_jobs:
            self.workflow_service.batches.restore(self.engine.saved_batch_jobs)
        self.reaper.start()
        if self.engine.saved_schedules:
            await self.workflow_service.schedules.restore(self.engine.saved_schedules)

    async def stop(self) -> None:
        """Answer long polls, let in-flight RPCs finish, close the listener, then the store."""
        await self.reaper.stop()
        self.workflow_service.stop_schedules()
        await self.engine.shutdown()
        await self.rpc.stop(self.config.shutdown_grace)
        if self._stop_metrics is not None:
            self._stop_metrics()
        await self.engine.store.close()
        if isinstance(self.engine.clock, SkippingClock):
            self.engine.clock.close()


def run(
    config: ServerConfig,
    *,
    on_ready: Callable[[DevServer], None] | None = None,
    listening: socket.socket | None = None,
) -> None:
    """Run the dev server in this thread until SIGINT or SIGTERM, then stop it gracefully.

    The signals are taken before the event loop starts, so that `asyncio.run` leaves SIGINT
    alone (it only takes it from Python's default handler). ``listening``: a socket already
    listening on the config's address (`tempo server start-dev` binds it before it imports
    the server), served once the server has started.

    Raises:
        TlsError: A TLS file of ``config.tls`` is missing, unreadable or does not fit.
        PortInUse: The address is taken.
    """
    signals = _StopSignals()
    with signals.taken():
        if listening is not None:  # bound early, with SIGTERM held until now (listen_address)
            release_stop_signal()
        asyncio.run(serve(config, shutdown_trigger=signals.wait, on_ready=on_ready, listening=listening))


class _StopSignals:
    """SIGINT and SIGTERM as a server's shutdown trigger: `wait` returns once either came.

    Plain `signal.signal` handlers that wake the loop, as `asyncio.run` handles SIGINT,
    rather than `loop.add_signal_handler`: that one checks its callback with
    `inspect.iscoroutinefunction`, and `inspect` (with `ast` and `dis`) is 3 ms of the
    server's start that nothing else needs. A signal that comes before `wait` is awaited
    (while the store opens, say) is kept, and the server stops as soon as it has started."""

    def __init__(self) -> None:
        self._received = False
        self._wake: Callable[[], object] | None = None

    @contextlib.contextmanager
    def taken(self) -> Iterator[None]:
        """The signals go to this trigger while the block runs (in the main thread only:
        elsewhere they are not the server's to take)."""
        previous: dict[signal.Signals, Any] = {}
        with contextlib.suppress(ValueError):  # not the main thread
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, self._on_signal)
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _on_signal(self, signum: int, frame: object) -> None:
        self._received = True
        if self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to wake
                self._wake()

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        self._wake = lambda: loop.call_soon_threadsafe(stop.set)
        if not self._received:
            await stop.wait()


async def serve(
    config: ServerConfig,
    *,
    shutdown_trigger: Callable[[], Awaitable[object]],
    on_ready: Callable[[DevServer], None] | None = None,
    listening: socket.socket | None = None,
) -> None:
    """Run the dev server until `shutdown_trigger` returns (:func:`run` makes SIGINT and
    SIGTERM that trigger); on ``listening`` if given (see :func:`run`).

    Raises:
        TlsError: A TLS file of ``config.tls`` is missing, unreadable or does not fit.
        PortInUse: The address is taken.
    """
    # The TLS files are checked before anything is opened: a bad one changes nothing.
    tls = server_ssl_context(config.tls) if config.tls is not None else None
    fatal: list[str] = []
    failed = asyncio.Event()

    def on_fatal(message: str) -> None:
        fatal.append(message)
        failed.set()

    store = build_store(config, on_fatal)
    engine = await open_engine(config, store)
    server = DevServer(config, engine, tls, listening)
    try:
        await server.start()
    except PortInUse:
        await store.close()
        raise
    if on_ready is not None:
        on_ready(server)
    waiters = {asyncio.ensure_future(shutdown_trigger()), asyncio.ensure_future(failed.wait())}
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        log.info("shutting down")
        await server.stop()
    if fatal:
        raise StoreError(fatal[0])
