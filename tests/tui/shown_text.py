"""What a widget shows on screen now, as plain text: the lines it draws, as the screen draws them."""

from __future__ import annotations

from textual.app import App
from textual.widget import Widget
from textual.widgets._toast import Toast


def shown(widget: Widget) -> str:
    """The lines the widget and the widgets inside it draw (drawing raises what a crash while
    drawing would)."""
    return "\n".join(part.render_line(y).text for part in [widget, *widget.query("*")] for y in range(part.size.height))


def toasts(app: App[object]) -> list[str]:
    """The notifications on screen, as drawn, each on one line (a toast wraps long messages)."""
    return [" ".join(shown(toast).split()) for toast in app.screen.query(Toast)]
