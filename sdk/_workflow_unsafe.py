"""``workflow.unsafe``: ways around the worker's determinism checks, named as in the official SDK.

While a worker runs workflow code it refuses calls that would make a replay differ (the
clock, the global random generator, ``uuid.uuid4``, blocking I/O; see
``sdk/worker/_determinism.py``). Code known to be deterministic may lift that for a block.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

UNRESTRICTED: contextvars.ContextVar[bool] = contextvars.ContextVar("tempo_sandbox_unrestricted", default=False)
"""True inside ``with workflow.unsafe.sandbox_unrestricted():`` (per asyncio task)."""

RESTRICTED_THREADS: set[int] = set()
"""Threads running a workflow activation under the determinism checks now."""


class unsafe:
    """Escape hatches for workflow code; a namespace, not to be instantiated."""

    def __init__(self) -> None:
        raise TypeError("workflow.unsafe is a namespace of functions")

    @staticmethod
    def in_sandbox() -> bool:
        """Whether the calling thread runs workflow code under the determinism checks."""
        import threading

        return threading.get_ident() in RESTRICTED_THREADS

    @staticmethod
    def is_replaying() -> bool:
        """Whether the workflow is replaying history (False outside workflow code)."""
        from sdk.workflow import _Runtime

        runtime = _Runtime.maybe_current()
        return runtime is not None and runtime.workflow_is_replaying()

    @staticmethod
    def is_sandbox_unrestricted() -> bool:
        """Whether the determinism checks are lifted here (inside :meth:`sandbox_unrestricted`)."""
        return UNRESTRICTED.get()

    @staticmethod
    @contextlib.contextmanager
    def sandbox_unrestricted() -> Iterator[None]:
        """Let the block call what workflow code may not (``time.time()``, ``open``, ...).

        Only for code that is deterministic all the same (a value that does not steer the
        workflow, a file that never changes); anything else breaks replays.
        """
        token = UNRESTRICTED.set(True)
        try:
            yield
        finally:
            UNRESTRICTED.reset(token)

    @staticmethod
    @contextlib.contextmanager
    def imports_passed_through() -> Iterator[None]:
        """Accepted for code written for the official SDK, and does nothing here.

        The official SDK re-imports workflow modules in a sandbox and this block imports
        modules from outside it; this SDK imports each module once, so there is nothing
        to pass through.
        """
        yield
