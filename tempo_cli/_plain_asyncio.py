"""asyncio without its TLS layer, and without `inspect` until used, for a plaintext server.

`import asyncio` imports `ssl` (with its C module and `base64`), about 4 ms of the 30 ms
asyncio costs, a tenth of what `tempo server start-dev` may take to answer in all. A server
started without a TLS option never uses it: the fast paths (`tempo_cli._fast_server`,
`tempo_cli.test_server_entry`) import asyncio through :func:`import_without_ssl` before
anything else imports either. asyncio was written for Pythons built without `ssl` and then
simply has no TLS: a TLS server or connection on it fails with asyncio's own
"stdlib ssl module not available", never silently. `import ssl` itself still works later.

asyncio also imports `inspect` (with `ast` and `dis`, 3 ms more) for what a running server
rarely or never calls: a task's repr, checks of callbacks in debug mode. While asyncio loads,
`inspect` is a stand-in module that imports the real one the first time any of its names is
asked for; everything then works as before, a few milliseconds later. The server's own code
avoids the calls that would ask at start (`devserver.app` takes its signals without
`loop.add_signal_handler`, its dataclasses have docstrings).
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType
from typing import Any

# Standard modules asyncio imports but a plaintext server does not use at start.
_DEFERRED = ("inspect",)
_loading = threading.Lock()  # the server has threads (the SQLite store's, the web UI's)


class _Deferred(ModuleType):
    """Stands in `sys.modules` for a standard module until one of its names is asked for:
    then imports the real module (once) and takes its names, so that those who imported the
    stand-in see them too."""

    def __getattr__(self, name: str) -> Any:
        with _loading:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
                vars(self).update(vars(__import__(self.__name__)))
        return getattr(sys.modules[self.__name__], name)


def import_without_ssl() -> None:
    """Import asyncio without `ssl` and with `inspect` deferred, unless asyncio or `ssl` is
    imported already (then nothing changes)."""
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return
    sys.modules["ssl"] = None  # type: ignore[assignment]  # `import ssl` raises ImportError
    for name in _DEFERRED:
        sys.modules.setdefault(name, _Deferred(name))
    try:
        import asyncio  # noqa: F401
    finally:
        del sys.modules["ssl"]
