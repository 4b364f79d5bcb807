"""User text shown as typed: workflow IDs and types, failure messages, names of signals,
queries, schedules, task queues, search attribute values...

Textual's DataTable cells, Select and OptionList prompts, Tree labels and notifications read a
plain ``str`` as markup: ``order[red]-7`` would show as ``order-7`` and ``order[/x]`` raises a
MarkupError that takes the whole TUI down while drawing. A ``rich.text.Text`` is shown as it is,
with no style, so user text reaches those widgets wrapped by one of these.
"""

from __future__ import annotations

from rich.text import Text


def verbatim(text: str) -> Text:
    """``text`` exactly as written, markup-free (``end=""`` as DataTable builds its own Texts)."""
    return Text(text, end="")


def verbatim_cell(value: object) -> object:
    """A DataTable cell showing ``value`` verbatim: a ``str`` becomes its first line as a Text
    (a row one line high shows no more, and DataTable measures only that line of a string,
    so columns keep their widths); anything else (Text, numbers) is left as it is."""
    if isinstance(value, str):
        return verbatim(value.split("\n", 1)[0])
    return value


def verbatim_row(*values: object) -> tuple[object, ...]:
    """A DataTable row with every string shown verbatim (see ``verbatim_cell``)."""
    return tuple(verbatim_cell(value) for value in values)
