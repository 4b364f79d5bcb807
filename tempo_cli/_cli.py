"""The one context object every command uses, and the one way out with an error.

The context holds the resolved settings, a console for data (stdout) and one
for messages (stderr), and turns every expected failure into a one-line error and an
exit code: :func:`abort` (and :meth:`CliContext.abort`) is the only way out with an error,
for every command, `tempo server start-dev` included.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

from tempo_cli._connection import Connection, resolve_connection

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")

DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_NAMESPACE = "default"

EXIT_ERROR = 1
"""Exit code of a failed command (server error, bad input, workflow failed)."""
EXIT_INTERRUPTED = 130


class Output(enum.StrEnum):
    """Output format of data written to stdout."""

    text = "text"
    json = "json"
    jsonl = "jsonl"


class Color(enum.StrEnum):
    """When to colour text output."""

    auto = "auto"
    always = "always"
    never = "never"


class RejectCondition(enum.StrEnum):
    """`--reject-condition` of queries, named as the `temporal` CLI names them."""

    not_open = "not_open"
    not_completed_cleanly = "not_completed_cleanly"


class UsageError(Exception):
    """Bad input from the user, found by the CLI itself; the message says what and where."""


@dataclass(frozen=True)
class GlobalOptions:
    """The global options as given on the command line; ``None`` where not given."""

    address: str | None = None
    namespace: str | None = None
    output: Output | None = None
    color: Color | None = None
    tls: bool | None = None
    tls_cert_path: str | None = None
    tls_cert_data: str | None = None
    tls_key_path: str | None = None
    tls_key_data: str | None = None
    tls_ca_path: str | None = None
    tls_ca_data: str | None = None
    tls_server_name: str | None = None
    tls_disable_host_verification: bool | None = None
    api_key: str | None = None
    grpc_meta: tuple[str, ...] | None = None
    codec_endpoint: str | None = None
    codec_auth: str | None = None
    codec_header: tuple[str, ...] | None = None
    profile: str | None = None
    config_file: str | None = None
    disable_config_file: bool | None = None
    disable_config_env: bool | None = None
    env: str | None = None
    env_file: str | None = None

    @classmethod
    def parsed(cls, values: dict[str, Any]) -> GlobalOptions:
        """From Typer's values; a flag not given (False, an empty list) is None here."""
        names = {f.name for f in dataclasses.fields(cls)}
        given = {n: v for n, v in values.items() if n in names and v not in (None, False, [], ())}
        for name in ("grpc_meta", "codec_header"):
            if name in given:
                given[name] = tuple(given[name])
        return cls(**given)

    def over(self, base: GlobalOptions) -> GlobalOptions:
        """These options where given, ``base``'s elsewhere."""
        given = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return dataclasses.replace(base, **{name: value for name, value in given.items() if value is not None})


@dataclass(frozen=True)
class Settings:
    """The global options after resolving command line, environment and defaults."""

    address: str
    namespace: str
    output: Output
    color: Color
    connection: Connection = field(default_factory=lambda: Connection(DEFAULT_ADDRESS, DEFAULT_NAMESPACE))
    connection_error: str | None = None
    """Why the connection settings cannot be used; reported when a command connects, so
    that `tempo config` and `tempo env` can still mend the files that say it."""


def resolve_settings(options: GlobalOptions) -> Settings:
    """Each option from the command line, else its environment variable, else the
    `temporal env` environment, else the profile, else its default."""
    from sdk.envconfig import ConfigError

    given = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    given["grpc_meta"] = list(options.grpc_meta or ())
    given["codec_header"] = list(options.codec_header or ())
    try:
        connection, _ = resolve_connection(given, default_address=DEFAULT_ADDRESS, default_namespace=DEFAULT_NAMESPACE)
        error = None
    except ConfigError as err:
        connection, error = (
            Connection(options.address or DEFAULT_ADDRESS, options.namespace or DEFAULT_NAMESPACE),
            str(err),
        )
    return Settings(
        address=connection.address,
        namespace=connection.namespace,
        output=Output(options.output or Output.text),
        color=Color(options.color or Color.auto),
        connection=connection,
        connection_error=error,
    )


def _console(color: Color, *, stderr: bool) -> Console:
    from rich.console import Console  # when a command prints: not for `server start-dev`

    stream = sys.stderr if stderr else sys.stdout
    is_tty = stream.isatty()
    file = None if stderr else _Stdout()
    force_terminal = True if color is Color.always else None
    return Console(
        file=file,  # type: ignore[arg-type]
        stderr=stderr,
        # User data (IDs, payloads, messages) must never be read as Rich markup.
        markup=False,
        highlight=False,
        emoji=False,
        no_color=color is Color.never or None,
        force_terminal=force_terminal,
        # Piped output is for grep and friends: never wrap it at 80 columns.
        width=None if is_tty else 10_000,
        soft_wrap=not is_tty,
    )


def _plain(color: Color, *, stderr: bool) -> bool:
    """True when Rich would print to this stream as plain text (no terminal, no colour, no
    width to fit): then it is written without Rich, which takes 30 ms to import."""
    stream = sys.stderr if stderr else sys.stdout
    if color is Color.always or os.environ.get("TTY_COMPATIBLE") == "1" or os.environ.get("FORCE_COLOR"):
        return False
    try:
        return not stream.isatty()
    except ValueError:  # closed
        return False


class _Stdout:
    """sys.stdout, looked up on every call, that ends the command quietly if its reader left.

    `tempo workflow list -o jsonl | head -1` closes the pipe early; that is not an error.
    """

    def write(self, text: str) -> int:
        try:
            return sys.stdout.write(text)
        except BrokenPipeError:
            _stdout_gone()

    def flush(self) -> None:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _stdout_gone()

    def __getattr__(self, name: str) -> Any:
        return getattr(sys.stdout, name)


def _stdout_gone() -> NoReturn:
    # Point stdout at /dev/null so the interpreter's final flush does not fail too.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(0)


class CliContext:
    """Settings, consoles and error handling of one command invocation.

    Attributes:
        options: The global options as given.
        settings: The resolved global options.
        out: Console for data (stdout).
        err: Console for messages to people (stderr).
    """

    def __init__(self, options: GlobalOptions = GlobalOptions(), *, blocking_calls: bool = False) -> None:
        """Keep ``options`` and create the consoles.

        Args:
            options: The global options as given.
            blocking_calls: :meth:`run` may call the server over the blocking transport
                (`sdk._h2_channel`, no grpcio and no event loop) when the connection allows
                it; only for work that awaits nothing but the client's calls.
        """
        self.options = options
        self.blocking_calls = blocking_calls
        self._color = Color(options.color or Color.auto)
        self._plain_out = _plain(self._color, stderr=False)
        self._plain_err = _plain(self._color, stderr=True)

    @functools.cached_property
    def out(self) -> Console:
        """The Rich console for data (stdout); made on first use."""
        return _console(self._color, stderr=False)

    @functools.cached_property
    def err(self) -> Console:
        """The Rich console for messages (stderr); made on first use."""
        return _console(self._color, stderr=True)

    @functools.cached_property
    def settings(self) -> Settings:
        """The resolved options; resolved on first use, as reading profiles needs the SDK,
        which `--help` and completion must not import."""
        return resolve_settings(self.options)

    def refined(self, options: GlobalOptions) -> CliContext:
        """This context, with the options given after the subcommand taking precedence."""
        if options == GlobalOptions():
            return self
        return CliContext(options.over(self.options))

    @property
    def json_mode(self) -> bool:
        """True for ``-o json`` and ``-o jsonl``."""
        return self.settings.output is not Output.text

    def abort(self, message: str, code: int = EXIT_ERROR) -> NoReturn:
        """Print ``error: message`` on stderr and exit with ``code``."""
        if self._plain_err:
            _write_err(f"error: {message}")
            raise SystemExit(code)
        abort(message, code, console=self.err)

    def info(self, message: str) -> None:
        """A message for people, on stderr."""
        if self._plain_err:
            _write_err(message)
        else:
            self.err.print(message)

    def warn(self, message: str) -> None:
        """``warning: message`` on stderr: the command went ahead, but something looks wrong."""
        if self._plain_err:
            _write_err(f"warning: {message}")
        else:
            self.err.print(f"warning: {message}", style="yellow")

    def print_text(self, text: str) -> None:
        """Print text (no markup) to stdout, as Rich prints it."""
        if self._plain_out:
            self.write_raw(text)
        else:
            self.out.print(text)

    def print_table(self, table: Any) -> None:
        """Print a table (:class:`~tempo_cli._plain_table.Rows`, or any Rich renderable) to
        stdout without the padding Rich leaves at line ends."""
        from tempo_cli._plain_table import Rows, plain_lines, rich_table

        if isinstance(table, Rows):
            lines = plain_lines(table) if self._plain_out else None
            if lines is not None:
                if lines:
                    self.write_raw("\n".join(lines))
                return
            table = rich_table(table)
        with self.out.capture() as captured:
            self.out.print(table)
        lines = captured.get().splitlines()
        self.out.file.write("".join(line.rstrip() + "\n" for line in lines))
        self.out.file.flush()

    def write_json(self, value: Any) -> None:
        """Write one JSON document to stdout: indented for json, one line for jsonl."""
        if self.settings.output is Output.jsonl:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False)
        self.write_raw(text)

    def write_raw(self, text: str) -> None:
        """Write ``text`` and a newline to stdout as is (no Rich: JSON must stay byte-exact)."""
        stdout = _Stdout()
        stdout.write(text + "\n")
        stdout.flush()

    def run_blocking(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """:meth:`run` for work that awaits nothing but the client's calls: over the blocking
        transport when the connection allows it, as the fast path's commands run."""
        self.blocking_calls = True
        return self.run(work)

    def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Connect a client, run ``work(client)`` and turn failures into one-line errors."""
        if self.settings.connection_error is not None:
            self.abort(self.settings.connection_error)
        if self.settings.connection.host_verification_off_asked:
            self.warn(
                "TLS host-name verification stays on (gRPC for Python cannot turn it off); "
                "--tls-server-name names the host the certificate is for"
            )

        async def main() -> T:
            from sdk.client import Client

            connection = self.settings.connection
            if blocking:
                client = await Client._connected_blocking(
                    connection.address, namespace=connection.namespace, **connection.options
                )
            else:
                client = await Client.connect(
                    connection.address,
                    namespace=connection.namespace,
                    data_converter=connection.data_converter(),
                    **connection.options,
                )
            try:
                return await work(client)
            finally:
                await client.close()

        blocking = self.blocking_calls and _blocking_allowed(self.settings.connection)
        try:
            if blocking:
                return _run_without_loop(main())
            import asyncio

            return asyncio.run(main())
        except KeyboardInterrupt:
            self.abort("interrupted", EXIT_INTERRUPTED)
        except Exception as err:
            from tempo_cli._errors import describe_error

            message = describe_error(err, self.settings.namespace)
            if message is None:
                raise
            self.abort(message)


def _blocking_allowed(connection: Connection) -> bool:
    """Whether the blocking transport can make this connection's calls: no TLS (nor an API
    key, which asks for TLS) and no codec server (its calls are the event loop's)."""
    options = connection.options
    return not options.get("tls") and "api_key" not in options and connection.codec_endpoint is None


def _run_without_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that awaits only calls over the blocking transport (which never
    suspend), without loading asyncio (about 30 ms of a command)."""
    try:
        suspended_on = work.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    work.close()
    raise RuntimeError(f"work on the blocking transport awaited {suspended_on!r}")


def abort(message: str, code: int = EXIT_ERROR, *, console: Console | None = None) -> NoReturn:
    """Print ``error: message`` as one line on stderr and exit with ``code``.

    The one way a command ends with an error, including commands without a
    :class:`CliContext` (`tempo server start-dev`, `tempo create`, `tempo tui`).
    """
    if console is None and _plain(Color.auto, stderr=True):
        _write_err(f"error: {message}")
        raise SystemExit(code)
    err = console or _console(Color.auto, stderr=True)
    err.print(f"error: {message}", style="bold red")
    raise SystemExit(code)


def _write_err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def note(message: str) -> None:
    """A one-line message for people on stderr (``note: ...``, ``warning: ...``)."""
    print(message, file=sys.stderr, flush=True)
