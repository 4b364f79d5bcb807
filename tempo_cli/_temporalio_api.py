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

:func:`defer_service_inits` does the same for the service packages
(`temporalio.api.workflowservice.v1`, `operatorservice.v1`, `testservice.v1`), whose
`__init__`s import grpcio for the services' stubs: the `tempo workflow` commands that call the
server over the blocking transport (`sdk._h2_channel`) and the server itself (its own HTTP/2
transport, `devserver.h2_server`) import the messages from their ``request_response_pb2`` and
``service_pb2`` modules and never load grpcio.

When the descriptor cache fits the install (`tempo_cli._proto_cache`), it serves
`temporalio.api`'s modules and packages itself, their `__init__`s deferred the same way, and
the service packages need no deferring here.

Called only by the `tempo` entry points (`tempo_cli.entry`, `tempo_cli.test_server_entry`)
before anything else imports `temporalio`; when it is already imported they do nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

PACKAGE = "temporalio"
SERVICE_PACKAGES = (
    "temporalio.api.workflowservice.v1",
    "temporalio.api.operatorservice.v1",
    "temporalio.api.testservice.v1",
)
"""Their `__init__`s import grpcio (for the services' stubs), about 60 ms, to offer names that
neither a client on the blocking transport (`sdk._h2_channel`) nor the server uses."""


def defer_sdk_init() -> bool:
    """Register `temporalio` with its `__init__` deferred; False when it was already imported
    (or is not installed, which the first real import then reports)."""
    return _defer(PACKAGE)


def defer_service_inits() -> None:
    """Register the service packages with their `__init__`s deferred: their modules
    (``request_response_pb2``, ``service_pb2``) load without grpcio; a name asked of a package
    itself (``from temporalio.api.workflowservice.v1 import WorkflowServiceStub``) runs its
    `__init__` first. A package already imported stays as it is."""
    defer_sdk_init()
    from tempo_cli import _proto_cache

    if _proto_cache.install():
        return  # its lazy packages run their `__init__`s only for a name no message has
    for package in SERVICE_PACKAGES:
        if package not in sys.modules:
            importlib.import_module(package.rpartition(".")[0])  # the parents' __init__s are empty
            _defer(package)


def _defer(name: str) -> bool:
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    package = importlib.util.module_from_spec(spec)

    def run_init_then_get(attribute: str) -> Any:
        if attribute.endswith("_pb2") and importlib.util.find_spec(f"{name}.{attribute}") is not None:
            # A messages module, asked for as `from package import x_pb2` (as the generated
            # service_pb2 modules ask for their request_response_pb2): that module alone.
            return importlib.import_module(f"{name}.{attribute}")
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
