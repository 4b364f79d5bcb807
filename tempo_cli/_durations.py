"""Durations as the command line reads them: ``90s``, ``5m``, ``1h30m``, ``250ms`` or plain
seconds (``30``). Standard library only, and `re` loaded with the first duration: the app's
options (`_inputs.parse_duration`) and the lean paths (`_lean_activity`) read them alike."""

from __future__ import annotations

_PART = r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s|d)"
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def duration_seconds(text: str) -> float | None:
    """The seconds ``text`` says, or None when it is not a duration (its sign is not checked)."""
    stripped = text.strip()
    try:
        return float(stripped)
    except ValueError:
        pass
    import re

    parts = re.findall(_PART, stripped)
    if not parts or "".join(number + unit for number, unit in parts) != stripped:
        return None
    return sum(float(number) * _UNITS[unit] for number, unit in parts)
