"""The key line at the bottom of every screen, made to fit narrow terminals and browser windows."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

NARROW = 100
"""Below this many columns the keys are drawn closer together."""
ALWAYS_SHOWN = {"help", "quit"}
"""Actions never left out: help lists every key, and quit is how to leave."""


class TempoFooter(Footer):
    """Textual's footer, which lets keys fall off the right edge, made to fit: below
    :data:`NARROW` columns it is compact, and keys that still do not fit are left out from
    the right, but for help (``?``) and the command palette, which reach them all."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden_keys: list[str] = []
        """Descriptions of the keys left out for lack of room (they stay in help and palette)."""
        self._width = 0

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._width:
            self._width = event.size.width
            self.compact = self._width < NARROW
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        yield from self._fitting(widgets, self._width)

    def _fitting(self, widgets: list[Widget], width: int) -> Iterable[Widget]:
        self.hidden_keys = []
        if width <= 0:
            return widgets
        all_keys = [w for w in widgets if isinstance(w, FooterKey)]
        keys = [k for k in all_keys if not k.has_class("-command-palette")]
        palette = [k for k in all_keys if k.has_class("-command-palette")]

        def room(key: FooterKey) -> int:
            # key, a space and the description, and the gap after it (as the footer's CSS draws them)
            gap = 1 if self.compact else 2
            return cell_len(key.key_display) + (cell_len(key.description) + 1 if key.description else 0) + gap

        needed = sum(room(k) for k in keys) + sum(cell_len(p.key_display) + len(p.description) + 4 for p in palette)
        dropped: set[int] = set()
        for key in reversed(keys):
            if needed <= width:
                break
            if key.action.removeprefix("app.") in ALWAYS_SHOWN:
                continue
            dropped.add(id(key))
            self.hidden_keys.append(key.description)
            needed -= room(key)
        return [w for w in widgets if id(w) not in dropped]
