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

:func:`defer_workflow_service_init` does the same for `temporalio.api.workflowservice.v1`,
whose `__init__` imports grpcio for the service's stub: the `tempo workflow` commands that
call the server over the blocking transport (`sdk._h2_channel`) import the messages from its
``request_response_pb2`` module and never load grpcio.

Called only by the `tempo` entry points (`tempo_cli.entry`, `tempo_cli.test_server_entry`)
before anything else imports `temporalio`; when it is already imported they do nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

PACKAGE = "temporalio"
WORKFLOW_SERVICE = "temporalio.api.workflowservice.v1"
"""Its `__init__` imports grpcio (for the service's stub), about 60 ms, to offer names that a
client on the blocking transport (`sdk._h2_channel`) never uses."""


def defer_sdk_init() -> bool:
    """Register `temporalio` with its `__init__` deferred; False when it was already imported
    (or is not installed, which the first real import then reports)."""
    return _defer(PACKAGE)


def defer_workflow_service_init() -> bool:
    """Register `temporalio.api.workflowservice.v1` with its `__init__` deferred: its modules
    (``request_response_pb2``) load without grpcio; a name asked of the package itself
    (``from temporalio.api.workflowservice.v1 import WorkflowServiceStub``) runs the
    `__init__` first. False when it was already imported."""
    if WORKFLOW_SERVICE in sys.modules:
        return False
    defer_sdk_init()
    importlib.import_module(WORKFLOW_SERVICE.rpartition(".")[0])  # the parents' __init__s are empty
    return _defer(WORKFLOW_SERVICE)


def _defer(name: str) -> bool:
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    package = importlib.util.module_from_spec(spec)

    def run_init_then_get(attribute: str) -> Any:
        # Once: the real __init__ (which may set names and extend __path__) replaces this hook.
        del package.__getattr__
        assert spec.loader is not None
        spec.loader.exec_module(package)
        try:
            return package.__dict__[attribute]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None

    package.__getattr__ = run_init_then_get  # type: ignore[method-assign]
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, package)
    return True
