"""Test workflows against a server this module starts: time skipping, as the official SDK does it.

A test that waits on a workflow sleeping a day should not take a day::

    async with await WorkflowEnvironment.start_time_skipping() as env:
        async with Worker(env.client, task_queue="tq", workflows=[Reminder]):
            handle = await env.client.start_workflow(Reminder.run, id="r", task_queue="tq")
            assert await handle.result() == "reminded"  # a day of virtual time, a second of wall time

Four environments:

- :meth:`WorkflowEnvironment.start_time_skipping` launches ``tempo-test-server`` (in memory, on
  a virtual clock) on a free port. Virtual time only moves while time skipping is unlocked:
  ``handle.result()`` unlocks it while it waits (unless inside
  :meth:`~WorkflowEnvironment.auto_time_skipping_disabled`), and :meth:`~WorkflowEnvironment.sleep`
  moves it on by a duration. Whenever nothing but timers is left to do, the server jumps to
  the next one.
- :meth:`WorkflowEnvironment.start_local` launches a dev server (``tempo server start-dev``, or
  another executable with the same command line, e.g. the ``temporal`` CLI) on a free port;
  time is the wall clock.
- :meth:`WorkflowEnvironment.start_in_process` runs Tempo's server inside the test's own
  process and event loop, with or without time skipping: nothing to launch.
- :meth:`WorkflowEnvironment.from_client` wraps a client of a server that is already running.

:meth:`~WorkflowEnvironment.shutdown` (or leaving ``async with``) stops a server the
environment started and closes its client.

:class:`ActivityEnvironment` runs one activity function without a server: what it heartbeats,
and how it takes cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator, Sequence
from typing import IO, Any

import grpc
from google.protobuf import empty_pb2
from temporalio.api.testservice.v1 import request_response_pb2 as tsv1
from temporalio.api.testservice.v1.service_pb2_grpc import TestServiceStub

from sdk._activity_environment import ActivityEnvironment
from sdk._client_rpc import map_error
from sdk.client import Client
from sdk.converter import DataConverter
from sdk.exceptions import ServerUnreachableError

__all__ = ["ActivityEnvironment", "WorkflowEnvironment"]

_START_TIMEOUT = 30.0


class WorkflowEnvironment:
    """A server to test workflows against, and a client of it.

    Attributes:
        client: A client of the environment's server (namespace ``default`` unless chosen).
        supports_time_skipping: Whether the server has a virtual clock this environment moves.
    """

    def __init__(self, client: Client, *, supports_time_skipping: bool = False) -> None:
        """Use :meth:`start_time_skipping`, :meth:`start_local` or :meth:`from_client` instead."""
        self.client = client
        self.supports_time_skipping = supports_time_skipping
        self._server: _ServerProcess | _InProcessServer | None = None
        self._auto_time_skipping = True
        self._result_waits = 0
        self._test_service = TestServiceStub(client._conn.channel) if supports_time_skipping else None
        if supports_time_skipping:
            client._around_result_wait = self._unlocked_while

    @classmethod
    def from_client(cls, client: Client) -> WorkflowEnvironment:
        """An environment on a server that is already running: wall-clock time, nothing to stop
        (:meth:`shutdown` leaves the client open)."""
        return cls(client)

    @classmethod
    async def start_time_skipping(
        cls,
        *,
        data_converter: DataConverter | None = None,
        port: int | None = None,
        test_server_existing_path: str | None = None,
        test_server_extra_args: Sequence[str] = (),
    ) -> WorkflowEnvironment:
        """Launch ``tempo-test-server`` on a free port and connect to it (namespace ``default``).

        Args:
            data_converter: The client's converter (default: :attr:`DataConverter.default`).
            port: Port to listen on (default: a free one).
            test_server_existing_path: Another executable with the Java test server's command
                line (``<path> <port>``); by default this interpreter runs Tempo's.
            test_server_extra_args: More arguments after the port.

        Raises:
            RuntimeError: The server exited or did not answer within 30 s (its output says why).
        """
        port = port or _free_port()
        default_program = [sys.executable, "-m", "devserver.test_server"]
        program = [test_server_existing_path] if test_server_existing_path else default_program
        server = _ServerProcess([*program, str(port), *test_server_extra_args], f"127.0.0.1:{port}")
        client = await server.start("default", data_converter)
        env = cls(client, supports_time_skipping=True)
        env._server = server
        return env

    @classmethod
    async def start_local(
        cls,
        *,
        namespace: str = "default",
        data_converter: DataConverter | None = None,
        port: int | None = None,
        dev_server_existing_path: str | None = None,
        dev_server_extra_args: Sequence[str] = (),
    ) -> WorkflowEnvironment:
        """Launch a dev server (``<path> server start-dev``, headless, in memory) on a free port.

        Args:
            namespace: Namespace to create at start; the client uses it.
            data_converter: The client's converter (default: :attr:`DataConverter.default`).
            port: Port to listen on (default: a free one).
            dev_server_existing_path: A CLI with ``server start-dev`` (``tempo`` or ``temporal``);
                by default this interpreter runs Tempo's.
            dev_server_extra_args: More ``start-dev`` flags.

        Raises:
            RuntimeError: The server exited or did not answer within 30 s (its output says why).
        """
        port = port or _free_port()
        program = [dev_server_existing_path] if dev_server_existing_path else [sys.executable, "-m", "tempo_cli.main"]
        args = ["server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--headless"]
        if namespace != "default":
            args += ["--namespace", namespace]
        server = _ServerProcess([*program, *args, *dev_server_extra_args], f"127.0.0.1:{port}")
        client = await server.start(namespace, data_converter)
        env = cls(client)
        env._server = server
        return env

    @classmethod
    async def start_in_process(
        cls, *, time_skipping: bool = True, namespace: str = "default", data_converter: DataConverter | None = None
    ) -> WorkflowEnvironment:
        """Run Tempo's server inside this process, in this event loop, on a free loopback port:
        no interpreter to start, in memory, stopped by :meth:`shutdown`.

        Args:
            time_skipping: A virtual clock and the TestService, as ``tempo-test-server``
                (default); otherwise wall-clock time, as ``tempo server start-dev``.
            namespace: Namespace to create at start; the client uses it.
            data_converter: The client's converter (default: :attr:`DataConverter.default`).

        Raises:
            RuntimeError: The server did not start within 30 s.
        """
        server = _InProcessServer(time_skipping, namespace)
        client = await server.start(namespace, data_converter)
        env = cls(client, supports_time_skipping=time_skipping)
        env._server = server
        return env

    async def sleep(self, duration: datetime.timedelta | float) -> None:
        """Let ``duration`` pass: virtual time (skipping what it can) on a time-skipping server,
        wall time otherwise."""
        seconds = duration.total_seconds() if isinstance(duration, datetime.timedelta) else float(duration)
        if seconds < 0:
            raise ValueError(f"cannot sleep a negative duration ({seconds} s)")
        if self._test_service is None:
            await asyncio.sleep(seconds)
            return
        request = tsv1.SleepRequest()
        request.duration.FromTimedelta(datetime.timedelta(seconds=seconds))
        # Virtual time never runs slower than the wall clock: a bound on the wall time it takes.
        await self._call(self._test_service.UnlockTimeSkippingWithSleep, request, timeout=seconds + 60)

    async def get_current_time(self) -> datetime.datetime:
        """The server's current time (virtual under time skipping), timezone-aware UTC."""
        if self._test_service is None:
            return datetime.datetime.now(datetime.UTC)
        response = await self._call(self._test_service.GetCurrentTime, empty_pb2.Empty())
        return response.time.ToDatetime(tzinfo=datetime.UTC)

    @contextlib.contextmanager
    def auto_time_skipping_disabled(self) -> Iterator[None]:
        """Inside this block ``handle.result()`` waits in locked time: virtual time passes as the
        wall clock does (and :meth:`sleep` still skips)."""
        previous = self._auto_time_skipping
        self._auto_time_skipping = False
        try:
            yield
        finally:
            self._auto_time_skipping = previous

    async def shutdown(self) -> None:
        """Stop the server this environment started and close its client; a client given to
        :meth:`from_client` stays open."""
        if self._server is None:
            return
        server, self._server = self._server, None
        await self.client.close()
        await server.stop()

    async def __aenter__(self) -> WorkflowEnvironment:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    # ---- machinery --------------------------------------------------------------------------

    async def _unlocked_while(self, wait: Awaitable[Any]) -> Any:
        """What a result wait does here: unlock time skipping until the result is in."""
        if not self._auto_time_skipping or self._test_service is None:
            return await wait
        # Results awaited together share one unlock: the first releases the environment's
        # lock, the last takes it back (the server refuses an unlock with no lock held).
        self._result_waits += 1
        try:
            if self._result_waits == 1:
                await self._call(self._test_service.UnlockTimeSkipping, tsv1.UnlockTimeSkippingRequest())
            return await wait
        finally:
            self._result_waits -= 1
            if self._result_waits == 0:
                await self._call(self._test_service.LockTimeSkipping, tsv1.LockTimeSkippingRequest())

    async def _call(self, method: Any, request: Any, *, timeout: float | None = None) -> Any:
        conn = self.client._conn
        try:
            return await method(request, timeout=timeout or conn.rpc_timeout)
        except grpc.aio.AioRpcError as err:
            raise map_error(err, conn.address) from None


class _ServerProcess:
    """A server executable run for an environment, its output kept in a temporary file."""

    def __init__(self, command: list[str], address: str) -> None:
        self.command = command
        self.address = address
        # Closed in stop(): it outlives this method, so no `with`.
        self._output: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self, namespace: str, data_converter: DataConverter | None) -> Client:
        try:
            self._process = subprocess.Popen(self.command, stdout=self._output, stderr=subprocess.STDOUT)
        except OSError as error:
            self._output.close()
            raise RuntimeError(f"cannot run {self.command[0]}: {error}") from None
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                output = self._read_output()
                await self.stop()
                raise RuntimeError(f"{' '.join(self.command)} exited with {self._process.returncode}:\n{output}")
            try:
                return await Client.connect(self.address, namespace=namespace, data_converter=data_converter)
            except ServerUnreachableError:
                if time.monotonic() > deadline:
                    output = self._read_output()
                    await self.stop()
                    waited = f"did not answer within {_START_TIMEOUT:.0f} s"
                    raise RuntimeError(f"{' '.join(self.command)} {waited}:\n{output}") from None
                await asyncio.sleep(0.1)

    def _read_output(self) -> str:
        self._output.seek(0)
        return self._output.read().decode(errors="replace")[-4000:]

    async def stop(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 10)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
        self._output.close()


class _InProcessServer:
    """Tempo's server run in this event loop for an environment (``devserver.app.serve``)."""

    def __init__(self, time_skipping: bool, namespace: str) -> None:
        self.time_skipping = time_skipping
        self.namespace = namespace
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, namespace: str, data_converter: DataConverter | None) -> Client:
        # Imported here: only this environment needs the server's code in the test's process.
        from devserver.app import ServerConfig, serve

        config = ServerConfig(
            ip="127.0.0.1",
            port=0,
            time_skipping=self.time_skipping,
            namespaces=[] if namespace == "default" else [namespace],
            shutdown_grace=0.5,
        )
        ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(serve(config, shutdown_trigger=self._stop.wait, on_ready=ready.set_result))
        await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED, timeout=_START_TIMEOUT)
        if not ready.done():
            await self.stop()
            raise RuntimeError(f"Tempo's in-process server did not start within {_START_TIMEOUT:.0f} s")
        address = f"127.0.0.1:{ready.result().port}"
        return await Client.connect(address, namespace=namespace, data_converter=data_converter)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            task, self._task = self._task, None
            await task


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
