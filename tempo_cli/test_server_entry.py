"""The `tempo-test-server` entry point: `devserver.test_server`, with the official SDK's
package `__init__` deferred first (`_temporalio_api`), as `tempo` does.

The server takes only the generated protobuf classes `temporalio.api.*`; importing them the
usual way runs `temporalio/__init__.py`, which loads the SDK's client and its Rust bridge,
about 50 ms of every test session's start. `devserver` cannot call the deferral itself
(it never imports `tempo_cli`), so the installed command starts here.
"""

from __future__ import annotations

import sys

from tempo_cli import _dataclass_code
from tempo_cli._plain_asyncio import import_without_ssl
from tempo_cli._temporalio_api import defer_service_inits


def main() -> None:
    from devserver.test_server import listen_early
    from devserver.test_server import main as serve

    listening = listen_early(sys.argv[1:])  # before the server's modules: the port opens sooner
    _dataclass_code.install()
    defer_service_inits()
    import_without_ssl()  # it serves plaintext only
    serve(listening=listening)
