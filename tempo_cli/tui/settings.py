"""What the TUI remembers between runs: the theme and the saved filters, in one JSON file.

The file is ``$TEMPO_TUI_CONFIG`` if set, else ``$XDG_CONFIG_HOME/tempo/tui.json``
(``~/.config/tempo/tui.json``). A missing or unreadable file means defaults; the UI
never fails because of it.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from tempo_cli.tui.filters import WorkflowFilter


def settings_path() -> Path:
    """Where the settings live."""
    explicit = os.environ.get("TEMPO_TUI_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tempo" / "tui.json"


@dataclass
class Settings:
    """The remembered choices."""

    theme: str = ""
    filters: list[WorkflowFilter] = field(default_factory=list)
    path: Path = field(default_factory=settings_path)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Read the file; defaults for anything missing or broken."""
        path = path or settings_path()
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls(path=path)
        if not isinstance(doc, dict):
            return cls(path=path)
        filters = [WorkflowFilter.from_json(f) for f in doc.get("filters", []) if isinstance(f, dict)]
        return cls(theme=str(doc.get("theme", "")), filters=filters, path=path)

    def save(self) -> str | None:
        """Write the file; the error message if it could not be written."""
        doc = {"theme": self.theme, "filters": [f.to_json() for f in self.filters]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(doc, indent=2) + "\n")
            tmp.replace(self.path)
        except OSError as err:
            with contextlib.suppress(OSError):
                self.path.with_suffix(".tmp").unlink()
            return f"cannot save settings to {self.path}: {err.strerror or err}"
        return None

    def save_filter(self, flt: WorkflowFilter) -> None:
        """Add or replace (by name) a saved filter."""
        self.filters = [f for f in self.filters if f.name != flt.name] + [flt]

    def delete_filter(self, name: str) -> None:
        """Forget a saved filter."""
        self.filters = [f for f in self.filters if f.name != name]
