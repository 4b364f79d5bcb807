"""Click commands built when they are used, so one `tempo` command pays for itself only.

Typer turns a whole app into Click commands before it parses the command line: every module
of every group imported, every option of every command resolved from type hints. For
`tempo workflow list` that is about 65 commands built to run one. Here a group's
`commands` is a :class:`LazyCommands` mapping: its names are known at once (for `--help`,
completion and "did you mean"), a command is built (and its module imported) the first time
Click asks for it, by Typer itself, from the same `CommandInfo` / `TyperInfo` Typer keeps, so
it is the very command the eager build would have made.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import typer
from typer._click import core
from typer.core import TyperGroup
from typer.models import CommandInfo, TyperInfo


@dataclass(frozen=True)
class Settings:
    """What Typer hands down from the root app to every command it builds."""

    rich_markup_mode: Any
    pretty_exceptions_short: bool = True
    suggest_commands: bool = True

    def holder(self) -> typer.Typer:
        """An empty app with the root's settings, to have Typer build one command or group."""
        app = typer.Typer(
            rich_markup_mode=self.rich_markup_mode,
            pretty_exceptions_short=self.pretty_exceptions_short,
            suggest_commands=self.suggest_commands,
        )
        app.callback()(_no_options)  # a group, never collapsed into its single command
        return app


def _no_options() -> None:
    """The holder's callback: it has no options of its own."""


class LazyCommands(MutableMapping[str, core.Command]):
    """A group's commands by name, in order; each built on first access by its loader."""

    def __init__(self, loaders: dict[str, Callable[[], core.Command]], built: dict[str, core.Command]) -> None:
        self._entries: dict[str, core.Command | Callable[[], core.Command]] = {**loaders, **built}

    def __getitem__(self, name: str) -> core.Command:
        entry = self._entries[name]
        if not isinstance(entry, core.Command):
            entry = self._entries[name] = entry()
        return entry

    def __setitem__(self, name: str, command: core.Command) -> None:
        self._entries[name] = command

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def module_group(settings: Settings, name: str, module: str) -> Callable[[], core.Command]:
    """A loader for the group `name`: the Typer app `app` of `module`, imported when needed."""

    def load() -> core.Command:
        holder = settings.holder()
        holder.add_typer(importlib.import_module(module).app, name=name)
        return lazy_group(settings, holder.registered_groups[0])

    return load


def module_command(settings: Settings, name: str, module: str, function: str) -> Callable[[], core.Command]:
    """A loader for the command `name`: the function `function` of `module`, imported when needed."""

    def load() -> core.Command:
        holder = settings.holder()
        holder.command(name)(getattr(importlib.import_module(module), function))
        return _command(settings, holder.registered_commands[0])

    return load


def lazy_group(settings: Settings, info: TyperInfo) -> core.Command:
    """The group `info` mounts, with its options and callback built now and its commands lazily."""
    app = info.typer_instance
    assert app is not None
    commands, groups = app.registered_commands, app.registered_groups
    if any(not group.name for group in groups):
        return _built_group(settings, info)  # commands merged in from a nameless group: Typer's way
    app.registered_commands, app.registered_groups = [], []
    try:
        group = _built_group(settings, info)
    finally:
        app.registered_commands, app.registered_groups = commands, groups
    assert isinstance(group, TyperGroup)
    loaders: dict[str, Callable[[], core.Command]] = {}
    for command_info in commands:
        loaders[_command_name(command_info)] = functools.partial(_command, settings, command_info)
    for group_info in groups:
        assert isinstance(group_info.name, str)
        loaders[group_info.name] = functools.partial(lazy_group, settings, group_info)
    group.commands = LazyCommands(loaders, {})
    return group


def _built_group(settings: Settings, info: TyperInfo) -> core.Command:
    holder = settings.holder()
    holder.registered_groups.append(info)
    root = typer.main.get_command(holder)
    assert isinstance(root, TyperGroup)
    return next(iter(root.commands.values()))


def _command(settings: Settings, info: CommandInfo) -> core.Command:
    holder = settings.holder()
    holder.registered_commands.append(info)
    root = typer.main.get_command(holder)
    assert isinstance(root, TyperGroup)
    return root.commands[_command_name(info)]


def _command_name(info: CommandInfo) -> str:
    if info.name:
        return info.name
    assert info.callback is not None
    return typer.main.get_command_name(info.callback.__name__)
