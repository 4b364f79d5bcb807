"""The one place that changes how the `temporalio` package is loaded: for a fast `tempo`.

Product code takes only the generated protobuf classes, `temporalio.api.*`, from the official
SDK. Importing any of them first runs `temporalio/__init__.py`, which imports the SDK's
`temporalio.service` and with it the Rust bridge and its protos: about 0.1 s of a `tempo`
command that never uses them.

:func:`defer_sdk_init` registers the `temporalio` package without running its `__init__`:
the module object is the one the import system would make (same spec, `__path__`, loader),
so `temporalio.api.*` load from the same files as the very same classes, and any other
submodule (`import temporalio.client`) still imports as usual. The `__init__` runs, in that
module object, the first time someone asks the package for a name it does not have yet
(`temporalio.__version__`, or `from temporalio import client` before `temporalio.client`
was imported): the SDK then looks exactly as if it had been imported the normal way.

Called only by the `tempo` entry point (`tempo_cli.entry`) before anything else imports
`temporalio`; when `temporalio` is already imported it does nothing.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

PACKAGE = "temporalio"


def defer_sdk_init() -> bool:
    """Register `temporalio` with its `__init__` deferred; False when it was already imported
    (or is not installed, which the first real import then reports)."""
    if PACKAGE in sys.modules:
        return False
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    package = importlib.util.module_from_spec(spec)

    def run_init_then_get(name: str) -> Any:
        # Once: the real __init__ (which sets __version__ and extends __path__) replaces this hook.
        del package.__getattr__
        assert spec.loader is not None
        spec.loader.exec_module(package)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}") from None

    package.__getattr__ = run_init_then_get  # type: ignore[method-assign]
    sys.modules[PACKAGE] = package
    return True
