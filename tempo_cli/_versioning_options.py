"""`--versioning-override-behavior`, shared by `tempo workflow update-options` and `tempo workflow
reset with-workflow-update-options` (a declaration only, so `--help` stays fast)."""

from __future__ import annotations

import enum


class OverrideBehavior(enum.StrEnum):
    """How a run picks its worker version; unspecified removes the override (update-options only)."""

    unspecified = "unspecified"
    pinned = "pinned"
    one_time = "one_time"
    auto_upgrade = "auto_upgrade"
