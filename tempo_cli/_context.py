"""Global options and the one context object every `tempo workflow` command uses.

The context holds the resolved settings, a console for data (stdout) and one for
messages (stderr), and turns every expected failure into a one-line error and an
exit code: :meth:`CliContext.abort` is the only way out with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

T = TypeVar("T")

DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_NAMESPACE = "default"
_META_KEY = "tempo_cli.workflow.globals"

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


_GLOBAL = "Global options"
AddressOption = Annotated[
    str | None,
    typer.Option(
        "--address",
        help=f"Server HOST:PORT. Env: TEMPORAL_ADDRESS. Default: {DEFAULT_ADDRESS}.",
        show_default=False,
        rich_help_panel=_GLOBAL,
    ),
]
NamespaceOption = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        "-n",
        help=f"Namespace. Env: TEMPORAL_NAMESPACE. Default: {DEFAULT_NAMESPACE}.",
        show_default=False,
        rich_help_panel=_GLOBAL,
    ),
]
OutputOption = Annotated[
    Output | None,
    typer.Option(
        "--output",
        "-o",
        help="Output format: text (tables), json, or jsonl (one JSON value per line).",
        show_default=False,
        rich_help_panel=_GLOBAL,
    ),
]
ColorOption = Annotated[
    Color | None,
    typer.Option(
        "--color",
        help="Colour text output: auto (when a terminal, unless NO_COLOR), always, never.",
        show_default=False,
        rich_help_panel=_GLOBAL,
    ),
]


@dataclass(frozen=True)
class Settings:
    """The global options after resolving command line, parent command and environment."""

    address: str
    namespace: str
    output: Output
    color: Color


def remember_globals(
    ctx: typer.Context,
    address: str | None,
    namespace: str | None,
    output: Output | None,
    color: Color | None,
) -> None:
    """Keep options given before the subcommand (`tempo workflow --address X list`)."""
    ctx.meta[_META_KEY] = {
        "address": address,
        "namespace": namespace,
        "output": output,
        "color": color,
    }


def _from_root(ctx: typer.Context, name: str) -> Any:
    # The root `tempo` callback may hold the same global options, as attributes or keys.
    obj = ctx.find_root().obj
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def resolve_settings(
    ctx: typer.Context,
    address: str | None,
    namespace: str | None,
    output: Output | None,
    color: Color | None,
) -> Settings:
    """Pick each option from the command, then `tempo workflow`, then `tempo`, then env."""
    parent = ctx.meta.get(_META_KEY, {})

    def pick(name: str, here: Any, env: str | None, default: Any) -> Any:
        for value in (here, parent.get(name), _from_root(ctx, name)):
            if value is not None:
                return value
        if env is not None and os.environ.get(env):
            return os.environ[env]
        return default

    return Settings(
        address=pick("address", address, "TEMPORAL_ADDRESS", DEFAULT_ADDRESS),
        namespace=pick("namespace", namespace, "TEMPORAL_NAMESPACE", DEFAULT_NAMESPACE),
        output=Output(pick("output", output, None, Output.text)),
        color=Color(pick("color", color, None, Color.auto)),
    )


def _console(color: Color, *, stderr: bool) -> Console:
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
    raise typer.Exit(0)


class CliContext:
    """Settings, consoles and error handling of one command invocation.

    Attributes:
        settings: The resolved global options.
        out: Console for data (stdout).
        err: Console for messages to people (stderr).
    """

    def __init__(self, settings: Settings) -> None:
        """Create consoles for the given settings."""
        self.settings = settings
        self.out = _console(settings.color, stderr=False)
        self.err = _console(settings.color, stderr=True)

    @classmethod
    def create(
        cls,
        ctx: typer.Context,
        address: str | None,
        namespace: str | None,
        output: Output | None,
        color: Color | None,
    ) -> CliContext:
        """Build the context of a command from its global options."""
        return cls(resolve_settings(ctx, address, namespace, output, color))

    @property
    def json_mode(self) -> bool:
        """True for ``-o json`` and ``-o jsonl``."""
        return self.settings.output is not Output.text

    def abort(self, message: str, code: int = EXIT_ERROR) -> NoReturn:
        """Print ``error: message`` on stderr and exit with ``code``."""
        self.err.print(f"error: {message}", style="bold red")
        raise typer.Exit(code)

    def info(self, message: str) -> None:
        """A message for people, on stderr."""
        self.err.print(message)

    def print_table(self, table: Any) -> None:
        """Print a Rich renderable to stdout without the padding Rich leaves at line ends."""
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
        self.out.file.write(text + "\n")
        self.out.file.flush()

    def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Connect a client, run ``work(client)`` and turn failures into one-line errors."""
        from tempo_cli._errors import describe_error

        async def main() -> T:
            from sdk.client import Client

            client = await Client.connect(self.settings.address, namespace=self.settings.namespace)
            try:
                return await work(client)
            finally:
                await client.close()

        try:
            return asyncio.run(main())
        except KeyboardInterrupt:
            self.abort("interrupted", EXIT_INTERRUPTED)
        except typer.Exit:
            raise
        except Exception as err:
            message = describe_error(err, self.settings.namespace)
            if message is None:
                raise
            self.abort(message)
