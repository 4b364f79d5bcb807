"""Mistakes on the command line itself (a bad option value, a missing option), as one line.

Click prints these as a usage block and a message, and the values Typer checks with Pydantic
come with Pydantic's wording ("Value error, ...", "Input should be a valid integer"). Every
`tempo` app is built with :class:`OneLineUsageErrors`, which says instead what was wrong in
one line, as every other `tempo` error does (``error: --limit: 'abc' is not a whole number``),
and keeps Click's exit code 2 for a malformed command line.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

# Typer 0.29 carries its own copy of Click and exports only BadParameter of its errors;
# the classes it raises are these, not the `click` package's.
from typer._click import core, exceptions
from typer.core import TyperGroup

from tempo_cli._context import abort

_PYDANTIC_PREFIX = re.compile(r"^(Value|Assertion) error, ")


class OneLineUsageErrors(TyperGroup):
    """A Typer group whose command-line mistakes (its own and its subcommands') are one line."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: core.Context | None = None, **extra: Any
    ) -> core.Context:
        """Parse this group's own options; a mistake in them is one line."""
        with one_line_usage_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: core.Context) -> Any:
        """Run the subcommand; a mistake in its options is one line."""
        with one_line_usage_errors():
            return super().invoke(ctx)


@contextlib.contextmanager
def one_line_usage_errors() -> Iterator[None]:
    """Turn a Click usage error raised inside into ``error: <what>`` and exit code 2."""
    try:
        yield
    except exceptions.NoArgsIsHelpError:
        raise  # `tempo workflow` alone: the help is what the user wants
    except exceptions.ClickException as err:
        abort(usage_message(err), err.exit_code)  # Click's: 2 for a malformed command line


def usage_message(err: exceptions.ClickException) -> str:
    """What was wrong, in one line, naming the option by its long name."""
    if isinstance(err, exceptions.MissingParameter):
        return f"missing {_param_type(err)} {_param_name(err)}".rstrip()
    if isinstance(err, exceptions.BadParameter):
        name = _param_name(err)
        problem = _value_problem(err)
        return f"{name}: {problem}" if name else problem
    message = _one_line(err.format_message()).removesuffix(".")
    return message[:1].lower() + message[1:]


def _param_name(err: exceptions.BadParameter) -> str:
    if err.param_hint is not None:
        hint = err.param_hint
        return hint if isinstance(hint, str) else " / ".join(hint)
    param = err.param
    if param is None:
        return ""
    names: Sequence[str] = param.opts or [param.name or ""]
    return max(names, key=len)  # the long name, as the help and the docs spell it


def _param_type(err: exceptions.MissingParameter) -> str:
    if err.param_type is not None:
        return err.param_type
    return err.param.param_type_name if err.param is not None else "parameter"


def _value_problem(err: exceptions.BadParameter) -> str:
    """The problem with the value, without the words of the library that found it."""
    cause = err.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return _pydantic_problem(found[0])
    return _one_line(_PYDANTIC_PREFIX.sub("", err.message).rstrip("."))


def _pydantic_problem(error: Any) -> str:
    """One Pydantic error (as ``ValidationError.errors()`` lists it) in plain words."""
    kind, value = error.get("type", ""), error.get("input")
    limits = error.get("ctx") or {}
    message = _PYDANTIC_PREFIX.sub("", str(error.get("msg", ""))).rstrip(".")
    if kind == "int_parsing":
        return f"{value!r} is not a whole number"
    if kind == "float_parsing":
        return f"{value!r} is not a number"
    if kind == "bool_parsing":
        return f"{value!r} is not true or false"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
        bound = next((f"{words[key]} {limit}" for key, limit in limits.items() if key in words), "")
        return f"{value!r} is out of range; it must be {bound}" if bound else f"{value!r}: {message}"
    if kind == "value_error":
        return _one_line(message)  # the type's own words ("'x' is not one of 'a', 'b'")
    return _one_line(f"{value!r}: {message[:1].lower()}{message[1:]}")


def _one_line(text: str) -> str:
    return " ".join(text.split())
