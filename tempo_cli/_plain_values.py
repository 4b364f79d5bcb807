"""Option values that need no conversion, taken without Pydantic: a faster `tempo`.

Typer 0.29 converts every option value with a Pydantic `TypeAdapter`, even an absent one
(the adapter is built first) and a string for a `str` option; importing Pydantic and
building the adapters is about a fifth of a `tempo` command's time. :func:`install` makes
Typer's parameters convert, without Pydantic, what the adapter would pass through unchanged:
a string for a `str` option, strings for a `list[str]` option, a whole number in plain
digits (or an int default) for an `int` option, within its bounds, a bool for a flag, a
float default, a choice of an Enum option (by Typer's own `coerce_cli_choice`), and an
absent value. Anything else (a value out of bounds, a path, a custom parser, a value the
fast way does not accept) goes to Typer's own conversion, so every message a user sees about
a bad value is still Typer's (and `_usage_errors`'s one line). An int option's default (a
task queue's partitions, a trace's concurrency) took Pydantic's way until 2026-12: 90 ms of
`tempo task-queue describe`.

If the installed Typer lacks these internals (another version), nothing is changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_WHOLE_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,17})")
_NOT_PLAIN = object()


def install() -> None:
    try:
        from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
        from typer._param_types import coerce_cli_choice
        from typer.core import _TyperParameter
    except ImportError:
        return
    if not hasattr(_TyperParameter, "get_runtime_param"):
        return

    @dataclass(frozen=True)
    class PlainFirst(RuntimeParam):
        """A plain value converted here; any other through Typer's `RuntimeParam` for it."""

        descriptor: TypeDescriptor
        typer_param: list[RuntimeParam] = field(default_factory=list)  # built on first need

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            plain = self._plain(value, ctx)
            if plain is not _NOT_PLAIN:
                return plain
            if not self.typer_param:
                self.typer_param.append(build_runtime_param(self.descriptor))
            return self.typer_param[0]._coerce_value(value, param=param, ctx=ctx)

        def _plain(self, value: Any, ctx: Any) -> Any:
            info, annotation = self.descriptor.parameter_info, self.descriptor.annotation
            if info.parser is not None or self.descriptor.file_annotation is not None:
                return _NOT_PLAIN
            if annotation is str:
                return value if isinstance(value, str) else _NOT_PLAIN
            if annotation == list[str]:
                items = list(value) if isinstance(value, (list, tuple)) else [value]
                return items if all(isinstance(item, str) for item in items) else _NOT_PLAIN
            if annotation is int:
                if type(value) is int:  # a default
                    number = value
                elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
                    number = int(value)
                else:
                    return _NOT_PLAIN
                # Out of bounds: Typer's conversion clamps it or says why it is refused.
                below = info.min is not None and number < info.min
                return _NOT_PLAIN if below or (info.max is not None and number > info.max) else number
            if annotation is bool and type(value) is bool:  # a flag, or its default
                return value
            if annotation is float and type(value) is float and info.min is None and info.max is None:
                return value  # a default
            choices = None if self.descriptor.is_list else self.descriptor.choices
            if choices is not None and isinstance(value, str):
                try:
                    return coerce_cli_choice(value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx)
                except ValueError:
                    return _NOT_PLAIN  # Typer's conversion says what is wrong, in its words
            return _NOT_PLAIN

    def get_runtime_param(self: Any) -> RuntimeParam:
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            self._runtime_param = PlainFirst(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation, descriptor=descriptor
            )
        runtime_param: RuntimeParam = self._runtime_param
        return runtime_param

    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
