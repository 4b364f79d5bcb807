"""Global options as Typer options, and how commands receive the one context object.

A sub-app's callback (`tempo workflow`, `tempo activity`) reads the global options given
before the subcommand and puts a :class:`CliContext` on ``ctx.obj``; :func:`command`
registers a command that receives it, refined by the global options given after the
subcommand. The context itself, the settings and the one way out with an error live in
`_cli`, which does not import Typer (the fast path, `_fast_commands`, uses them without
it); they are re-exported here for the command modules.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any, Concatenate, ParamSpec

import typer

from tempo_cli._cli import (
    DEFAULT_ADDRESS,
    DEFAULT_NAMESPACE,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    CliContext,
    Color,
    GlobalOptions,
    Output,
    RejectCondition,
    Settings,
    UsageError,
    abort,
    note,
    resolve_settings,
)
from tempo_cli._connection_options import CONNECTION_OPTIONS
from tempo_cli._go_format import TimeFormat

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_NAMESPACE",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "CliContext",
    "Color",
    "GlobalOptions",
    "Output",
    "RejectCondition",
    "Settings",
    "TimeFormat",
    "TimeFormatOption",
    "UsageError",
    "abort",
    "command",
    "note",
    "resolve_settings",
    "store_global_options",
]

P = ParamSpec("P")

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

# `temporal` takes it on every command; here on the commands whose tables show times as it does.
TimeFormatOption = Annotated[
    TimeFormat,
    typer.Option(
        "--time-format",
        help="Times as: relative (2 minutes ago), iso (2026-12-07T00:52:05Z) or raw (to the nanosecond).",
    ),
]


# ---------------------------------------------------------------- commands


_GLOBAL_PARAMETERS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
    for name, annotation in (
        ("address", AddressOption),
        ("namespace", NamespaceOption),
        ("output", OutputOption),
        ("color", ColorOption),
        *CONNECTION_OPTIONS,
    )
]


def store_global_options(ctx: typer.Context, **values: Any) -> None:
    """Sub-app callback: the context built from the global options before the subcommand
    (and, for a nested group like `workflow update`, those given before its parent's)."""
    given = GlobalOptions.parsed(values)
    parent = ctx.parent.obj if ctx.parent is not None else None
    if isinstance(parent, CliContext):
        given = given.over(parent.options)
    ctx.obj = CliContext(given)


store_global_options.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context), *_GLOBAL_PARAMETERS]
)
store_global_options.__annotations__ = {"ctx": typer.Context, **{p.name: p.annotation for p in _GLOBAL_PARAMETERS}}


def command(
    app: typer.Typer, name: str | None = None, *, runs_itself: bool = False
) -> Callable[[Callable[Concatenate[CliContext, P], None]], Callable[Concatenate[CliContext, P], None]]:
    """Register ``fn(cli, ...)`` as a command of ``app``.

    The command also takes the global options after the subcommand, and ``fn`` gets the
    :class:`CliContext` of the invocation first. A parameter whose type is a dataclass
    (:class:`StartOptions`-like: fields annotated with Typer options) becomes its fields'
    options, so commands can share an option list; ``fn`` gets the dataclass.

    With ``runs_itself``, ``fn`` is what the group ``app`` does when no subcommand is named
    (`temporal workflow reset` and `temporal workflow reset with-workflow-update-options`);
    a subcommand takes its own options, so ``fn``'s must not be required.
    """

    def register(fn: Callable[Concatenate[CliContext, P], None]) -> Callable[Concatenate[CliContext, P], None]:
        hints = typing.get_type_hints(fn, include_extras=True)
        groups: dict[str, type] = {}
        parameters = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)]
        for parameter in list(inspect.signature(fn).parameters.values())[1:]:
            annotation = hints[parameter.name]
            if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
                groups[parameter.name] = annotation
                parameters.extend(_fields_as_parameters(annotation))
            else:
                parameters.append(parameter.replace(annotation=annotation))
        # A command's own option of a global's name (`tempo config --profile`) is the command's.
        own = {p.name for p in parameters}
        global_parameters = [p for p in _GLOBAL_PARAMETERS if p.name not in own]
        parameters.extend(global_parameters)
        # Required options first (a signature wants them so); with several option groups a
        # later group's required option would otherwise follow an earlier one's defaults.
        parameters.sort(key=lambda p: p.default is not inspect.Parameter.empty)
        call: Callable[..., None] = fn  # its parameters arrive by name, as Typer parsed them

        @functools.wraps(fn)
        def run(ctx: typer.Context, **values: Any) -> None:
            if runs_itself and ctx.invoked_subcommand is not None:
                return  # the subcommand does the work
            given = GlobalOptions.parsed({p.name: values.pop(p.name) for p in global_parameters})
            parent = ctx.obj if isinstance(ctx.obj, CliContext) else CliContext()
            for group_name, group in groups.items():
                names = [f.name for f in dataclasses.fields(group)]
                values[group_name] = group(**{n: values.pop(n) for n in names})
            call(parent.refined(given), **values)

        run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        if runs_itself:
            app.callback(invoke_without_command=True)(run)
        else:
            app.command(name)(run)
        return fn

    return register


def _fields_as_parameters(group: type) -> list[inspect.Parameter]:
    hints = typing.get_type_hints(group, include_extras=True)
    parameters = []
    for f in dataclasses.fields(group):
        default = f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty
        parameters.append(
            inspect.Parameter(
                f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=hints[f.name]
            )
        )
    return parameters
