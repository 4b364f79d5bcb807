"""The methods `dataclasses` generates, compiled once per install rather than at every start.

Making a dataclass compiles the source of its generated methods with ``exec`` (``__init__``,
``__repr__``, ``__eq__``, and for a frozen one ``__setattr__``, ``__delattr__`` and
``__hash__``): about 0.1 ms a method on Python 3.11, 0.6 ms a plain dataclass and 1.1 ms a
frozen one. The server's modules make 60 of them at every start (30 ms of its 90 ms of
imports), a `tempo` command on the fast path about 20.

:func:`install` (called by the `tempo` entry points first) has the `dataclasses` module, once
something imports it, run its ``exec`` of source text through a cache of code objects keyed by
that exact text: the same text compiled the same way (file name ``<string>``, no inherited
``__future__`` flags, as ``exec`` compiles it inside `dataclasses`) gives an equal code object,
so the methods are the very ones `dataclasses` would make. A text not in the cache is compiled
as before and kept, with the others, when the process ends
(`~/.cache/tempo/dataclass-code-<python>.marshal`; one per Python build and optimisation level,
since code objects are). A cache that cannot be read or written is no error: the methods are
compiled as usual.

The file is a small index (by length and CRC of each text, after its size in 8 bytes) followed
by the entries, each its text and code, unmarshalled only when asked for: an index keyed by the
texts themselves took 4 ms to read once it held every command's and the TUI's (1,500 texts),
more than it saved the server.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import marshal
import mmap
import os
import sys
import zlib
from importlib.machinery import ModuleSpec, PathFinder
from types import CodeType, ModuleType
from typing import Any

_FORMAT = 3  # its size, the index by key, the entries (1: the index by text, the entries inside)
_MAX_ENTRIES = 2000  # texts kept (about 1.4 KB each); past that, many versions' worth: start over


def install() -> None:
    """Route `dataclasses`' compilation through the cache once it is imported (at once if it
    already is). Importing it is left to whoever needs it: the lean commands never do."""
    if "dataclasses" in sys.modules:
        _patch(sys.modules["dataclasses"])
    elif not any(isinstance(finder, _PatchOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())


class _PatchOnImport:
    """A meta path finder for `dataclasses` alone: loads it as usual, then patches it."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name != "dataclasses":
            return None
        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _PatchingLoader(spec.loader)  # type: ignore[assignment]
        return spec


class _PatchingLoader:
    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self.loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        _patch(module)


def _patch(dataclasses: ModuleType) -> None:
    if "exec" in vars(dataclasses):
        return  # patched already (or someone else's)
    path = _cache_path()
    known = _read(path)
    made: dict[int, bytes] = {}

    def exec_cached(source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if type(source) is str:
            key = _key(source)
            code = known.code(key, source)
            if code is None:
                code = compile(source, "<string>", "exec", dont_inherit=True)
                made[key] = marshal.dumps((source, code))
            source = code
        builtins.exec(source, globals, locals)

    dataclasses.exec = exec_cached  # type: ignore[attr-defined]
    atexit.register(_keep, path, known, made)


def _key(source: str) -> int:
    """A text's place in the index: its length and CRC (the entry holds the text to compare)."""
    encoded = source.encode("utf-8", "surrogatepass")
    return len(encoded) << 32 | zlib.crc32(encoded)


class _Codes:
    """The cache as read: each text's compiled code, unmarshalled only when asked for (a
    `tempo` command uses a tenth of what the server does) from the file mapped in memory
    (reading 2 MB of cache was 1 ms more)."""

    def __init__(self, index: dict[int, tuple[int, int]], mapped: mmap.mmap | None = None, start: int = 0) -> None:
        self.index = index
        self.mapped = mapped
        self.start = start

    def code(self, key: int, source: str) -> CodeType | None:
        place = self.index.get(key)
        if place is None or self.mapped is None:
            return None
        at = self.start + place[0]
        try:
            text, code = marshal.loads(memoryview(self.mapped)[at : at + place[1]])
        except (EOFError, ValueError, TypeError):
            return None  # a damaged entry: compiled again, and kept right
        if text != source or type(code) is not CodeType:
            return None  # another text with the same key
        return code

    def items(self) -> list[tuple[int, bytes]]:
        mapped, start = self.mapped, self.start
        if mapped is None:
            return []
        return [(key, mapped[start + at : start + at + size]) for key, (at, size) in self.index.items()]

    def close(self) -> None:
        """Unmap the file (before it is replaced: Windows refuses to replace a mapped file)."""
        if self.mapped is not None:
            with contextlib.suppress(BufferError):
                self.mapped.close()
            self.mapped = None


def _cache_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    build = f"{sys.implementation.cache_tag}-{sys.version_info.releaselevel}{sys.version_info.micro}"
    return os.path.join(base, "tempo", f"dataclass-code-{build}-O{sys.flags.optimize}.marshal")


def _read(path: str) -> _Codes:
    try:
        with open(path, "rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # none yet, or empty
        return _Codes({})
    try:
        size = int.from_bytes(mapped[:8], "little")
        header = marshal.loads(memoryview(mapped)[8 : 8 + size])  # not `marshal.load`: a value a read
        if header["format"] == _FORMAT and header["version"] == sys.version and isinstance(header["index"], dict):
            return _Codes(header["index"], mapped, 8 + size)
    except (EOFError, ValueError, TypeError, KeyError):
        pass
    codes = _Codes({}, mapped)
    codes.close()
    return codes


def _keep(path: str, known: _Codes, made: dict[int, bytes]) -> None:
    """Write the cache with this process's new texts (nothing when there are none)."""
    if not made:
        return
    entries = [*known.items(), *made.items()] if len(known.index) + len(made) <= _MAX_ENTRIES else list(made.items())
    index: dict[int, tuple[int, int]] = {}
    parts: list[bytes] = []
    at = 0
    for key, data in entries:
        index[key] = (at, len(data))
        parts.append(data)
        at += len(data)
    known.close()
    temporary = f"{path}.{os.getpid()}"
    with contextlib.suppress(Exception):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as out:
            header = marshal.dumps({"format": _FORMAT, "version": sys.version, "index": index})
            out.write(len(header).to_bytes(8, "little") + header + b"".join(parts))
        os.replace(temporary, path)
    with contextlib.suppress(OSError):
        os.unlink(temporary)
