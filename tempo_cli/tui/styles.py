"""Colours of statuses and event categories, taken from the theme so both themes read well.

Widgets that render :class:`~textual.content.Content` use the theme variables directly;
table cells are Rich ``Text`` (the table measures those), so :class:`Palette` resolves
the same variables to the current theme's colours.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.color import Color
from textual.content import Content

from sdk.client import WorkflowStatus
from tempo_cli.tui.history_model import Category

STATUS_COLOR = {
    WorkflowStatus.RUNNING: "text-primary",
    WorkflowStatus.COMPLETED: "text-success",
    WorkflowStatus.FAILED: "text-error",
    WorkflowStatus.CANCELED: "text-warning",
    WorkflowStatus.TERMINATED: "text-error",
    WorkflowStatus.CONTINUED_AS_NEW: "text-accent",
    WorkflowStatus.TIMED_OUT: "text-warning",
    WorkflowStatus.PAUSED: "text-warning",
}

STATUS_ICON = {
    WorkflowStatus.RUNNING: "▶",
    WorkflowStatus.COMPLETED: "✔",
    WorkflowStatus.FAILED: "✖",
    WorkflowStatus.CANCELED: "⊘",
    WorkflowStatus.TERMINATED: "■",
    WorkflowStatus.CONTINUED_AS_NEW: "↻",
    WorkflowStatus.TIMED_OUT: "⏱",
    WorkflowStatus.PAUSED: "⏸",
}

# Event categories need more distinct hues than a theme has named colours (its accent and
# warning are often the same), so they have their own, one set for dark backgrounds and
# one for light; the workflow's own events use the theme's foreground.
CATEGORY_HUES = {
    Category.ACTIVITY: ("#FFB454", "#A85A00"),
    Category.TIMER: ("#C792EA", "#7A3EA1"),
    Category.SIGNAL: ("#82AAFF", "#2358C4"),
    Category.CHILD: ("#5FD7D7", "#00787A"),
    Category.UPDATE: ("#A6E22E", "#4A7A00"),
}
CATEGORY_COLOR = {
    Category.WORKFLOW: "foreground",
    Category.WORKFLOW_TASK: "foreground-muted",
    Category.CLOSE: "foreground",
    Category.OTHER: "foreground",
}
_BOLD = {Category.WORKFLOW, Category.CLOSE}


def status_label(status: WorkflowStatus) -> str:
    """``▶ Running``."""
    return f"{STATUS_ICON.get(status, '?')} {status.display}"


def status_style(status: WorkflowStatus) -> str:
    """The status's style with theme variables, for Content."""
    return f"bold ${STATUS_COLOR.get(status, 'foreground')}"


def status_content(status: WorkflowStatus) -> Content:
    """The status with its icon, coloured."""
    return Content.styled(status_label(status), status_style(status))


class Palette:
    """The current theme's colours as Rich styles, for table cells."""

    def __init__(self, app: App[object]) -> None:
        variables = app.get_css_variables()
        background = Color.parse(variables.get("background", "#000000"))
        self._colors: dict[str, str] = {}
        self.dark = app.current_theme.dark
        for name in {*STATUS_COLOR.values(), *CATEGORY_COLOR.values(), "text-error"}:
            try:
                color = Color.parse(variables[name])
            except (KeyError, ValueError):
                color = Color.parse(variables.get("foreground", "#ffffff"))
            if color.a < 1:
                color = background.blend(color.with_alpha(1), color.a)
            self._colors[name] = color.hex6

    def status(self, status: WorkflowStatus) -> Text:
        """The status with its icon, coloured."""
        return Text(status_label(status), style=f"bold {self._colors[STATUS_COLOR.get(status, 'foreground')]}")

    def category_style(self, category: Category, failure: bool = False) -> str:
        """The style of an event category (failures in the error colour), as a style string."""
        if failure:
            return f"bold {self._colors['text-error']}"
        hues = CATEGORY_HUES.get(category)
        color = (hues[0] if self.dark else hues[1]) if hues else self._colors[CATEGORY_COLOR[category]]
        return ("bold " if category in _BOLD else "") + color

    def category(self, text: str, category: Category, failure: bool = False) -> Text:
        """Text in its event category's colour (failures in the error colour)."""
        return Text(text, style=self.category_style(category, failure))
