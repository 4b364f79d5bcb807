"""Refuse, where workflow code makes them, the calls that would make a replay differ.

The official SDK runs workflow code in a sandbox that re-imports its modules with
restricted stand-ins for ``time``, ``random``, ``datetime``, ``uuid`` and I/O. This SDK
keeps the modules and watches the calls instead: while an activation runs, the thread
running it has a profile hook (``sys.setprofile`` is per thread, so other threads,
activities and the worker's own event loop are untouched) that looks at every call.
A call of a refused function from workflow code raises
:class:`RestrictedWorkflowAccessError` at the call, naming the deterministic
replacement. Python removes a profile hook that raises, so the refusal is also
remembered and fails the workflow task when the activation ends, even if workflow
code caught the error.

Calls made by the standard library, installed packages or this SDK on workflow code's
behalf (a log record's timestamp, say) are allowed: only the frame that calls the
function counts.
Catching the function by identity also catches ``from time import time`` and
``datetime.now()``, which patching module attributes could not.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime
import os
import pathlib
import random
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sdk
from sdk._workflow_unsafe import RESTRICTED_THREADS, UNRESTRICTED
from sdk.workflow import NondeterminismError


class RestrictedWorkflowAccessError(NondeterminismError):
    """Workflow code called something that is not deterministic (the clock, I/O, ...).

    The workflow task fails and is retried, as for the official SDK's error of this name;
    fix the code and the workflow carries on.

    Attributes:
        qualified_name: What was called, e.g. ``time.time``.
    """

    def __init__(self, qualified_name: str, message: str) -> None:
        super().__init__(message)
        self.qualified_name = qualified_name


@dataclass(frozen=True)
class _Refusal:
    name: str
    why: str
    instead: str
    shared_random_only: bool = False

    def message(self) -> str:
        return (
            f"workflow code must not call {self.name}(): it {self.why}, so a replay of the workflow would "
            f"not do the same; use {self.instead} instead. (If this call is deterministic all the same, "
            "wrap it in `with workflow.unsafe.sandbox_unrestricted():`.)"
        )


_CLOCK = "reads the clock"
_NOW = "workflow.now()"
_RANDOM = "draws from a generator that is not seeded per workflow"
_WORKFLOW_RANDOM = "workflow.random()"
_IO = "does I/O"
_ACTIVITY = "an activity (workflow.execute_activity) for I/O"
_BLOCKS = "blocks the worker's thread"
_TIMER = "workflow.sleep() or asyncio.sleep() (a durable timer)"

_BUILTINS: dict[int, _Refusal] = {
    id(fn): refusal
    for fn, refusal in [
        (time.time, _Refusal("time.time", _CLOCK, _NOW)),
        (time.time_ns, _Refusal("time.time_ns", _CLOCK, _NOW)),
        (time.monotonic, _Refusal("time.monotonic", _CLOCK, _NOW)),
        (time.monotonic_ns, _Refusal("time.monotonic_ns", _CLOCK, _NOW)),
        (time.perf_counter, _Refusal("time.perf_counter", _CLOCK, _NOW)),
        (time.perf_counter_ns, _Refusal("time.perf_counter_ns", _CLOCK, _NOW)),
        (time.sleep, _Refusal("time.sleep", _BLOCKS, _TIMER)),
        (os.urandom, _Refusal("os.urandom", _RANDOM, _WORKFLOW_RANDOM)),
        (os.system, _Refusal("os.system", _IO, _ACTIVITY)),
        (builtins.open, _Refusal("open", _IO, _ACTIVITY)),
        (builtins.input, _Refusal("input", _IO, _ACTIVITY)),
        (socket.gethostbyname, _Refusal("socket.gethostbyname", _IO, _ACTIVITY)),
    ]
}
"""Module-level C functions, the same object at every access."""

_BOUND: dict[tuple[int, str], _Refusal] = {
    (id(datetime.datetime), "now"): _Refusal("datetime.datetime.now", _CLOCK, _NOW),
    (id(datetime.datetime), "utcnow"): _Refusal("datetime.datetime.utcnow", _CLOCK, _NOW),
    (id(datetime.datetime), "today"): _Refusal("datetime.datetime.today", _CLOCK, _NOW),
    (id(datetime.date), "today"): _Refusal("datetime.date.today", _CLOCK, _NOW),
    (id(random._inst), "random"): _Refusal("random.random", _RANDOM, _WORKFLOW_RANDOM),  # type: ignore[attr-defined]
    (id(random._inst), "getrandbits"): _Refusal("random.getrandbits", _RANDOM, _WORKFLOW_RANDOM),  # type: ignore[attr-defined]
}
"""C methods bound to a class or to the module's generator: a new object at each access."""
_BOUND_NAMES = frozenset(name for _, name in _BOUND)

_RANDOM_METHODS = [
    "seed",
    "randrange",
    "randint",
    "choice",
    "choices",
    "shuffle",
    "sample",
    "uniform",
    "triangular",
    "randbytes",
    "gauss",
    "normalvariate",
    "expovariate",
    "betavariate",
    "gammavariate",
    "lognormvariate",
    "vonmisesvariate",
    "paretovariate",
    "weibullvariate",
    "binomialvariate",
]


def _code(fn: Any) -> types.CodeType:
    return fn.__code__  # type: ignore[no-any-return]


_PYTHON: dict[int, _Refusal] = {
    id(_code(fn)): refusal
    for fn, refusal in [
        (uuid.uuid1, _Refusal("uuid.uuid1", _RANDOM, "workflow.uuid4()")),
        (uuid.uuid4, _Refusal("uuid.uuid4", _RANDOM, "workflow.uuid4()")),
        (socket.socket.__init__, _Refusal("socket.socket", _IO, _ACTIVITY)),
        (socket.create_connection, _Refusal("socket.create_connection", _IO, _ACTIVITY)),
        (socket.getaddrinfo, _Refusal("socket.getaddrinfo", _IO, _ACTIVITY)),
        (subprocess.Popen.__init__, _Refusal("subprocess.Popen", _IO, _ACTIVITY)),
        (subprocess.run, _Refusal("subprocess.run", _IO, _ACTIVITY)),
        (pathlib.Path.open, _Refusal("pathlib.Path.open", _IO, _ACTIVITY)),
        (pathlib.Path.read_text, _Refusal("pathlib.Path.read_text", _IO, _ACTIVITY)),
        (pathlib.Path.read_bytes, _Refusal("pathlib.Path.read_bytes", _IO, _ACTIVITY)),
        (pathlib.Path.write_text, _Refusal("pathlib.Path.write_text", _IO, _ACTIVITY)),
        (pathlib.Path.write_bytes, _Refusal("pathlib.Path.write_bytes", _IO, _ACTIVITY)),
    ]
}
"""Python functions, recognised by their code object."""

_PYTHON.update(
    {
        id(_code(getattr(random.Random, name))): _Refusal(f"random.{name}", _RANDOM, _WORKFLOW_RANDOM, True)
        for name in _RANDOM_METHODS
        if hasattr(random.Random, name) and hasattr(getattr(random.Random, name), "__code__")
    }
)
"""``random.Random`` methods are refused only on the module's shared generator, since
``workflow.random()`` is a ``random.Random`` too."""


def _trusted_directories() -> tuple[str, ...]:
    stdlib = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")}
    return (*sorted(stdlib), os.path.dirname(os.path.abspath(sdk.__file__)))


_TRUSTED = _trusted_directories()


def _trusted(filename: str) -> bool:
    """Whether a caller is the standard library, an installed package or this SDK, not
    workflow code.

    Installed packages are let through (the official sandbox checks them too): a logging
    handler stamping a record with the time, say, is no fault of the workflow's.
    """
    if filename.startswith("<frozen "):
        return True
    if "site-packages" in filename or "dist-packages" in filename:
        return True
    return filename.startswith(_TRUSTED)


class _Watch:
    """The profile hook of one activation; remembers the first refused call.

    The hook runs for every call and return in the thread, so its common path (nothing
    refused) is a dictionary lookup on locals only.
    """

    def __init__(self) -> None:
        self.refused: RestrictedWorkflowAccessError | None = None
        builtin_refusal = _BUILTINS.get
        python_refusal = _PYTHON.get
        bound_names = _BOUND_NAMES
        refuse = self._refuse

        def hook(frame: types.FrameType, event: str, arg: Any) -> None:
            if event == "c_call":
                refusal = builtin_refusal(id(arg))
                if refusal is None:
                    if arg.__name__ not in bound_names:
                        return
                    refusal = _BOUND.get((id(getattr(arg, "__self__", None)), arg.__name__))
                    if refusal is None:
                        return
                refuse(refusal, frame)
            elif event == "call":
                refusal = python_refusal(id(frame.f_code))
                if refusal is None:
                    return
                # random.Random's methods: workflow.random() is a random.Random too.
                if refusal.shared_random_only and frame.f_locals.get("self") is not random._inst:  # type: ignore[attr-defined]
                    return
                if frame.f_back is not None:
                    refuse(refusal, frame.f_back)

        self.hook = hook

    def _refuse(self, refusal: _Refusal, caller: types.FrameType) -> None:
        if _trusted(caller.f_code.co_filename) or UNRESTRICTED.get():
            return
        error = RestrictedWorkflowAccessError(refusal.name, refusal.message())
        if self.refused is None:
            self.refused = error
        raise error  # Python drops the hook now; the activation fails at its end


@contextlib.contextmanager
def restricted(enabled: bool = True) -> Iterator[None]:
    """Run the block (a workflow activation) with nondeterministic calls refused.

    Args:
        enabled: False runs the block as it is (``@workflow.defn(sandboxed=False)``).

    Raises:
        RestrictedWorkflowAccessError: Workflow code called a refused function in the
            block, whatever else happened (replacing the block's own exception).
    """
    if not enabled:
        yield
        return
    watch = _Watch()
    thread = threading.get_ident()
    previous: Callable[..., Any] | None = sys.getprofile()
    RESTRICTED_THREADS.add(thread)
    sys.setprofile(watch.hook)
    try:
        yield
    finally:
        sys.setprofile(previous)
        RESTRICTED_THREADS.discard(thread)
        if watch.refused is not None:
            raise watch.refused
