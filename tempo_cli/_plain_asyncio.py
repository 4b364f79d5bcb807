"""asyncio without its TLS layer (nor `inspect` until used), for a plaintext server.

`import asyncio` imports `ssl` (with its C module and `base64`), about 4 ms of the 30 ms
asyncio costs, a tenth of what `tempo server start-dev` may take to answer in all. A server
started without a TLS option never uses it: the fast paths (`tempo_cli._fast_server`,
`tempo_cli.test_server_entry`) import asyncio through :func:`import_without_ssl` before
anything else imports either. asyncio was written for Pythons built without `ssl` and then
simply has no TLS: a TLS server or connection on it fails with asyncio's own
"stdlib ssl module not available", never silently. `import ssl` itself still works later.

asyncio also imports `inspect` (3 ms more) for what a running server rarely or never calls:
it waits for its first use (`_deferred_stdlib`). The server avoids the calls that would ask for
it at start (`devserver.app` takes its signals without `loop.add_signal_handler`).
"""

from __future__ import annotations

import sys

from tempo_cli._deferred_stdlib import defer_inspect


def import_without_ssl() -> None:
    """Import asyncio without `ssl` and with `inspect` deferred, unless asyncio or `ssl` is
    imported already (then nothing changes)."""
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return
    sys.modules["ssl"] = None  # type: ignore[assignment]  # `import ssl` raises ImportError
    defer_inspect()
    try:
        import asyncio  # noqa: F401
    finally:
        del sys.modules["ssl"]
