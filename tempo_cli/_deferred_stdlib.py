"""Standard modules that wait in `sys.modules` for their first use: `inspect`, for now.

`inspect` (with `ast` and `dis`: 3-5 ms of a start) is imported by `dataclasses` and
`asyncio`, which call it only now and then: `dataclasses` for the docstring of a class that
has none, asyncio for a task's repr or its checks in debug mode. A `tempo` command or server
never gets there, so `tempo_cli.entry` (and `tempo-test-server`) put a stand-in in its place
first: the first time any of its names is asked for, the stand-in imports the real module and
takes its names, and everything works as before, a few milliseconds later. Tempo's own
dataclasses on those paths have docstrings (tests/cli/test_startup.py checks that `ast` and
`dis` stay unloaded).
"""

from __future__ import annotations

import _thread
import sys
from types import ModuleType

_loading = _thread.allocate_lock()  # the server has threads (the SQLite store's, the web UI's)


class _Deferred(ModuleType):
    """Stands in `sys.modules` for a standard module until one of its names is asked for:
    then imports the real module (once) and takes its names, so that those who imported the
    stand-in see them too."""

    def __getattr__(self, name: str) -> object:
        with _loading:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
                vars(self).update(vars(__import__(self.__name__)))
        return getattr(sys.modules[self.__name__], name)


def defer_inspect() -> None:
    """Put the stand-in for `inspect` in place, unless `inspect` is imported already."""
    sys.modules.setdefault("inspect", _Deferred("inspect"))
