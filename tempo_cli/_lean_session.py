"""What the lean paths share (`_lean_commands`: the `tempo workflow` commands people type
most, and `workflow count`; `_lean_reads`: the operator, schedule, task-queue and batch
reads): when a command line is theirs, the one connection a command makes its calls on, what
it prints, and how it gives way.

A lean command makes its calls itself over the blocking transport (`sdk._h2_channel`), with
the generated messages, and prints with the renderers the app prints with, so neither the
SDK's client, its dataclasses, `_cli` nor Rich load. It answers text output over a plain
connection: no TLS, API key, codec, profile or environments file, no TEMPORAL_* variable. To
a pipe or a file the text goes as is; on a terminal, a read's tables are drawn as Rich draws
them, narrowed to its width as Rich narrows them (`_terminal_table`), and anything else gives
way. Some reads
answer ``-o json`` and ``-o jsonl`` too (`_lean_json`): the app writes JSON as is, anywhere.

A failure gives way before anything is printed (:class:`GiveWay`): the fast path
(`_fast_commands`) then runs the command line through the SDK's client and answers as the
app does. A read that met its deadline is not asked again: :func:`answer` ends the command
with the app's words (:class:`RanOut`). Nor is a call the server refused for good (an
unknown workflow, a malformed filter: `_lean_errors.CERTAIN`) when the command words that
refusal as the app does (its `_lean_errors.Wording`): :func:`answer` ends with the app's
error (:class:`Refused`), a write's too (it would not be retried).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from tempo_cli._plain_table import Rows, one_cell_per_char, plain_lines

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from sdk._h2_channel import CallFailed, H2Channel
    from tempo_cli._lean_errors import Wording

DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_NAMESPACE = "default"
WORKFLOW_SERVICE = "temporal.api.workflowservice.v1.WorkflowService"
OPERATOR_SERVICE = "temporal.api.operatorservice.v1.OperatorService"
# As the SDK's client: its calls' deadline and its first call's.
RPC_TIMEOUT = 10.0
_CONNECT_TIMEOUT = 5.0
_DEADLINE_EXCEEDED = 4
_UNIMPLEMENTED = 12


class GiveWay(Exception):
    """Not this path's to answer: the fast path runs the command (nothing was printed)."""


class RanOut(GiveWay):
    """A read that met its deadline (a query no worker answers): asked again through the
    fast path, it would wait as long again, so this path words the app's error itself."""

    def __init__(self, failed: CallFailed) -> None:
        super().__init__()
        self.failed = failed


class Refused(GiveWay):
    """A call the server refused for good, and the app's one-line error for it: the command
    ends with it. ``printed`` is what the app printed on stdout before that call (the
    batches of a history it prints as they come)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.printed: list[str] = []


class Screen:
    """Where a command's answer goes: a pipe or a file (``terminal`` None), or a terminal
    ``(width, colour system, no colour)`` as Rich sees it (`_terminal_table.terminal`)."""

    __slots__ = ("terminal",)

    def __init__(self, terminal: tuple[int, str, bool] | None = None) -> None:
        self.terminal = terminal

    def table(self, table: Rows) -> list[str] | None:
        """The lines the app prints for ``table`` here (`CliContext.print_table`); None when
        Rich must measure or fit it."""
        if self.terminal is None:
            return plain_lines(table)
        from tempo_cli._terminal_table import terminal_lines

        return terminal_lines(table, *self.terminal)

    def shows_as_is(self, text: str) -> bool:
        """Whether Rich prints ``text`` (no style) here as it is: always to a pipe; on a
        terminal, when its lines fit the width with one cell a character (else Rich wraps)."""
        if self.terminal is None:
            return True
        width = self.terminal[0]
        return all(len(line) <= width and one_cell_per_char(line) for line in text.split("\n"))


class Answer:
    """What a command prints on ``screen``: stdout's text, stderr's lines, and its exit code."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.out: list[str] = []
        self.err: list[str] = []
        self.code = 0
        """The exit code once printed (`workflow result` of a run that did not complete: 1)."""

    def lines(self, table: Rows) -> None:
        """The table as the app prints it (`CliContext.print_table`)."""
        lines = self.screen.table(table)
        if lines is None:
            raise GiveWay  # a cell Rich measures itself, or a style only Rich knows
        if lines:
            self.out.append("\n".join(lines) + "\n")

    def line(self, text: str) -> None:
        """A line written as is (`CliContext.write_raw`)."""
        self.out.append(text + "\n")

    def text(self, text: str) -> None:
        """Text as the app prints it (`CliContext.print_text`)."""
        if not self.screen.shows_as_is(text):
            raise GiveWay  # Rich wraps it
        self.out.append(text + "\n")

    def info(self, message: str) -> None:
        """A message for people on stderr, as the app prints it (`CliContext.info`)."""
        if not self.screen.shows_as_is(message):
            raise GiveWay
        self.err.append(message)


def plain_connection(values: dict[str, Any], terminal: bool = False) -> Screen | None:
    """Where a command line's answer goes, when its global options (``values``, as
    `_fast_commands.plain_words` reads them), in this environment, ask for text over a plain
    connection: to a pipe or a file, or (when ``terminal``, for a read) to a terminal, its
    stdout's and stderr's both; None when this path must leave it to the fast path."""
    color = values.get("color", "auto")
    if values.get("output", "text") != "text" or color not in ("auto", "never"):
        return None
    environ = os.environ
    if environ.get("FORCE_COLOR") or environ.get("TTY_COMPATIBLE") == "1":
        return None  # Rich draws as for a terminal
    if not _plain_settings():
        return None
    try:
        ttys = sys.stdout.isatty(), sys.stderr.isatty()
    except ValueError:  # a closed stream
        return None
    if ttys == (False, False):
        return Screen()
    if not terminal or ttys != (True, True) or sys.platform == "win32":
        return None  # Rich draws for the terminal (on Windows, with its console's colours)
    from tempo_cli._terminal_table import terminal as seen

    found = seen(environ, color)
    return None if found is None else Screen(found)


def json_connection(values: dict[str, Any], outputs: tuple[str, ...] = ("json", "jsonl")) -> str | None:
    """The JSON output (``json`` or ``jsonl``; or one of ``outputs``, for a command that
    writes JSON whatever it is asked) a command line's global options (``values``) ask for
    over a plain connection; None when this path must leave it to the fast path.
    The app writes JSON as is (`CliContext.write_json`, never through Rich), to a terminal
    as to a pipe, whatever the colour options say: only their values must be the app's."""
    output = values.get("output", "text")
    if output not in outputs or values.get("color", "auto") not in ("auto", "never", "always"):
        return None  # text, or a value the app refuses with its message
    if not _plain_settings():
        return None
    try:
        sys.stdout.isatty()
    except (ValueError, AttributeError):  # a closed stream (or none): the app's to meet
        return None
    return str(output)


def _plain_settings() -> bool:
    """Whether nothing but the command line sets the connection: no TEMPORAL_* variable
    (connection settings, a profile or an environments file to read), no settings file."""
    if any(name.startswith("TEMPORAL_") for name in os.environ):
        return False
    return not any(os.path.exists(path) for path in settings_files())


def settings_files() -> list[str]:
    """The files a connection's settings may come from when nothing names one: `temporal
    env`'s environments (tempo_cli._env_file) and the profiles (sdk.envconfig)."""
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        config = os.environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming")
    elif sys.platform == "darwin":
        config = os.path.join(home, "Library", "Application Support")
    else:
        config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    environments = os.path.join(home, ".config", "temporalio", "temporal.yaml")
    return [environments, os.path.join(config, "temporalio", "temporal.toml")]


class Session:
    """One connection, opened by the first call with GetSystemInfo (as the SDK's client)."""

    def __init__(self, values: dict[str, Any], screen: Screen, wording: Wording | None = None) -> None:
        """The connection ``values`` (a command line's options) name; the answer goes to
        ``screen``; a refused call ends the command with ``wording``'s words (None: gives way)."""
        self.screen = screen
        self.address: str = values.get("address") or DEFAULT_ADDRESS
        self.namespace: str = values.get("namespace") or DEFAULT_NAMESPACE
        self.workflow_id: str = values.get("workflow_id", "")
        """The workflow the reads are for, as the SDK's client names it in its errors."""
        self.wording = wording
        self.sent = False
        """A call that changes something reached the server."""
        self._channel: H2Channel | None = None

    def read(
        self,
        method: str,
        request: Message,
        response_type: type[Any],
        timeout: float = RPC_TIMEOUT,
        service: str = WORKFLOW_SERVICE,
    ) -> Any:
        """The answer of a call that changes nothing; gives way if it fails (:class:`RanOut`
        when it met its deadline, :class:`Refused` when the server refused it for good)."""
        from sdk._h2_channel import CallFailed

        try:
            return response_type.FromString(self._unary(service, method, request, timeout))
        except CallFailed as failed:
            if failed.status == _DEADLINE_EXCEEDED:
                raise RanOut(failed) from None
            self._refuse(failed, self.workflow_id)
            raise GiveWay from None
        except Exception:  # an address it cannot use, an odd answer
            raise GiveWay from None

    def read_bytes(self, path: str, data: bytes) -> bytes:
        """The answer of a call to ``path`` that changes nothing and whose messages come
        encoded (another service's: gRPC's health check); gives way if it fails."""
        self._open()
        assert self._channel is not None
        try:
            return self._channel.unary(path, data, [], RPC_TIMEOUT)
        except Exception:  # a failed call, an address it cannot use: the app's to word
            raise GiveWay from None

    def send(self, method: str, request: Message, response_type: type[Any], workflow_id: str) -> Any:
        """The answer of a call that changes something; if it fails, the command ends with
        the app's error for a refusal this command words (:class:`Refused`: the SDK's
        connection would not retry it), else the SDK's connection makes the same request again
        (retrying a transient failure) or ends the command with the app's error."""
        from sdk._h2_channel import CallFailed

        self._open()
        try:
            data = self._unary(WORKFLOW_SERVICE, method, request, RPC_TIMEOUT)
        except CallFailed as failed:
            self.sent = True
            self._refuse(failed, workflow_id)
            return self._send_again(method, request, workflow_id)
        self.sent = True
        return response_type.FromString(data)

    def words(self, failed: CallFailed, workflow_id: str) -> str | None:
        """The app's one-line error for the failed call (for ``workflow_id``), as this
        command words it; None when it does not (then it gives way)."""
        if self.wording is None:
            return None
        from tempo_cli._lean_errors import refusal

        refused = refusal(failed, workflow_id, self.namespace)
        return None if refused is None else self.wording(refused)

    def _refuse(self, failed: CallFailed, workflow_id: str) -> None:
        """Raise :class:`Refused` for a call refused for good that this command words."""
        if self.wording is None:
            return
        from tempo_cli._lean_errors import CERTAIN

        if failed.status in CERTAIN:
            message = self.words(failed, workflow_id)
            if message is not None:
                raise Refused(message) from None

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()

    def _open(self) -> None:
        """Connect, and ask GetSystemInfo as the SDK's client does first; gives way if that fails."""
        if self._channel is not None:
            return
        from temporalio.api.workflowservice.v1.request_response_pb2 import GetSystemInfoRequest

        from sdk._h2_channel import CallFailed, H2Channel

        self._channel = H2Channel(self.address)
        try:
            self._channel.unary(
                f"/{WORKFLOW_SERVICE}/GetSystemInfo", GetSystemInfoRequest().SerializeToString(), [], _CONNECT_TIMEOUT
            )
        except CallFailed as failed:
            if failed.status != _UNIMPLEMENTED:  # older or minimal servers: the call is optional
                raise GiveWay from None
        except Exception:  # an address it cannot use: the app's to word
            raise GiveWay from None

    def _unary(self, service: str, method: str, request: Message, timeout: float) -> bytes:
        self._open()
        assert self._channel is not None
        return self._channel.unary(f"/{service}/{method}", request.SerializeToString(), [], timeout)

    def _send_again(self, method: str, request: Message, workflow_id: str) -> Any:
        from tempo_cli._cli import CliContext, GlobalOptions

        cli = CliContext(GlobalOptions(address=self.address, namespace=self.namespace), blocking_calls=True)

        async def call(client: Any) -> Any:
            connection = client._conn
            return await connection.call(getattr(connection.service, method), request, workflow_id=workflow_id)

        return cli.run(call)


def answer(
    work: Callable[[Session], Answer],
    values: dict[str, Any],
    screen: Screen,
    session_type: type[Session] = Session,
    wording: Wording | None = None,
) -> bool:
    """Run ``work`` on a session to the connection ``values`` name and print its answer on
    ``screen``; False when it gave way (then nothing was printed). A ``session_type`` of its
    own makes a failed write again as its group's app does (`_lean_schedule_writes`); a call
    the server refused for good ends the command with ``wording``'s words (the app's), if it
    words it."""
    session = session_type(values, screen, wording)
    try:
        answered = work(session)
    except KeyboardInterrupt:
        _abort(values, "interrupted", 130)  # as the app ends on Ctrl-C (tempo_cli._cli)
    except Refused as refused:
        _write_out(refused.printed)
        _abort(values, refused.message)
    except RanOut as ran_out:
        message = session.words(ran_out.failed, session.workflow_id)
        if message is None:
            _end_as_the_app(ran_out.failed, session, values)
        _abort(values, message)
    except Exception:
        if session.sent:
            raise  # a start, signal, termination or cancellation made: never again through the fast path
        return False  # GiveWay, or anything unforeseen: the fast path answers as the app does
    finally:
        session.close()
    _write(answered)
    return True


def _end_as_the_app(failed: Exception, session: Session, values: dict[str, Any]) -> NoReturn:
    """Print the app's one-line error for a failed call and exit 1, as `CliContext.run` does."""
    from sdk._client_rpc import map_error
    from tempo_cli._errors import describe_error

    message = describe_error(map_error(failed, session.address, values.get("workflow_id", "")), session.namespace)
    _abort(values, str(message))


def _abort(values: dict[str, Any], message: str, code: int = 1) -> NoReturn:
    """``error: message`` on stderr and exit ``code``, as `CliContext.abort` prints it: as is
    to a pipe; on a terminal (a read's, a JSON answer's) through Rich, in bold red."""
    environ = os.environ
    if values.get("color") == "always" or environ.get("TTY_COMPATIBLE") == "1" or environ.get("FORCE_COLOR"):
        plain = False
    else:
        try:
            plain = not sys.stderr.isatty()
        except ValueError:  # a closed stream: the app hands it to Rich
            plain = False
    if plain:
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(code)
    from tempo_cli._cli import CliContext, Color, GlobalOptions

    CliContext(GlobalOptions(color=Color(values.get("color", "auto")))).abort(message, code)


def _write(answered: Answer) -> None:
    """Print the answer as the app would: stdout first (a reader that left early is no
    error), then the messages on stderr."""
    _write_out(answered.out)
    if answered.err:
        sys.stderr.write("".join(line + "\n" for line in answered.err))
        sys.stderr.flush()
    if answered.code:
        raise SystemExit(answered.code)


def _write_out(out: list[str]) -> None:
    """Print ``out`` on stdout; a reader that left early is no error."""
    try:
        if out:
            sys.stdout.write("".join(out))
            sys.stdout.flush()
    except BrokenPipeError:
        # As tempo_cli._cli does: stdout at /dev/null, so the final flush does not fail too.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None
