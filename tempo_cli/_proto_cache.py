"""The `temporalio.api` messages a `tempo` process uses, made when first asked for.

Importing `temporalio.api.workflowservice.v1.request_response_pb2` runs about sixty generated
modules, each of which hands its file's descriptor to protobuf's default pool and builds the
class of every message it declares, and it loads protobuf's pure-Python layers
(`descriptor_pool`, `python_message`, `text_format`): about 30 ms of a `tempo workflow list`
that uses four messages.

With protobuf's upb backend a message class is made from its descriptor alone, in a few
microseconds, and the pool keeps one class per descriptor: made twice, it is the same object.
So the first `tempo` run of an install keeps, in the user's cache directory, what every
generated module of `temporalio.api` (and the well-known types they use) hands to the pool:
its file's serialized descriptor, the files it depends on, and the names it declares.
Later runs :func:`install` a finder that serves those modules, and their packages, as lazy
modules: a module's file enters the default pool (its dependencies first) when the module is
imported; a message class, enum or enum value is made the first time its name is asked for.
They are the very descriptors and classes the generated code makes: a name the lazy module
does not know (a private one, ``_globals``) runs the generated module's own code in the same
module object, which adds the identical file again (the pool accepts it) and builds the same
classes; a package asked for a name its messages do not declare runs its real `__init__`.

The cache is one file per Python, protobuf and `temporalio` install, checked against each
generated module's size and modification time: a changed SDK makes it stale, and the run
that finds it so imports as usual and writes it anew when it ends. Without the upb backend
nothing changes.
"""

from __future__ import annotations

import atexit
import contextlib
import marshal
import os
import sys
import zlib
from importlib.machinery import ModuleSpec, SourceFileLoader
from types import ModuleType
from typing import Any

_FORMAT = 1
_PACKAGE = "temporalio.api"

# One cached file: (module name, source path, size, mtime_ns, dependencies, serialized file).
_File = tuple[str, str, int, int, tuple[str, ...], bytes]
# One package of generated modules: (its __init__'s path, {name declared: module declaring it}).
_Package = tuple[str, dict[str, str]]


def install() -> bool:
    """Serve `temporalio.api`'s generated modules lazily from the cache; False (and the cache
    written when this process ends) when there is none that fits this install. Call before
    anything imports `temporalio.api`, after `temporalio` itself is registered."""
    root = _api_root()
    if root is None or not _upb_backend():
        return False
    path = _cache_path(root)
    cache = _read(path)
    if cache is None:
        atexit.register(_write, root, path)
        return False
    files, packages = cache
    sys.meta_path.insert(0, _LazyFinder(files, packages))
    return True


def _api_root() -> str | None:
    temporalio = sys.modules.get("temporalio")
    locations = getattr(temporalio, "__path__", None)
    if "temporalio.api" in sys.modules or not locations:
        return None
    return os.path.join(next(iter(locations)), "api")


def _upb_backend() -> bool:
    if os.environ.get("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "upb") != "upb":
        return False
    try:
        from google._upb import _message  # noqa: F401
    except ImportError:
        return False
    return True


def _cache_path(root: str) -> str:
    import google.protobuf

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    install = f"{root}\0{google.protobuf.__version__}\0{sys.version}".encode()
    return os.path.join(base, "tempo", f"protos-{zlib.crc32(install):08x}.marshal")


def _read(path: str) -> tuple[dict[str, _File], dict[str, _Package]] | None:
    try:
        with open(path, "rb") as file:
            content = marshal.loads(file.read())  # `marshal.load` reads a value at a time: 4x slower
        if content["format"] != _FORMAT:
            return None
        files: dict[str, _File] = content["files"]
        for _, source, size, mtime, _, _ in files.values():
            stat = os.stat(source)
            if stat.st_size != size or stat.st_mtime_ns != mtime:
                return None
        packages: dict[str, _Package] = content["packages"]
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None
    return files, packages


class _LazyFinder:
    """Finds the cached generated modules and their packages (a meta path finder)."""

    def __init__(self, files: dict[str, _File], packages: dict[str, _Package]) -> None:
        self.files = files
        self.packages = packages
        self.file_of_module = {entry[0]: name for name, entry in files.items()}
        self.added: set[str] = set()

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name in self.file_of_module:
            source = self.files[self.file_of_module[name]][1]
            return _spec(name, source, _LazyModuleLoader(self, name, source), package=False)
        if name in self.packages:
            source = self.packages[name][0]
            return _spec(name, source, _LazyPackageLoader(self, name, source), package=True)
        return None

    def add_file(self, file_name: str) -> Any:
        """The file's descriptor, added to the default pool after the files it depends on."""
        from google._upb import _message

        if file_name not in self.added:
            for dependency in self.files[file_name][4]:
                self.add_file(dependency)
            _message.default_pool.AddSerializedFile(self.files[file_name][5])
            self.added.add(file_name)
        return _message.default_pool.FindFileByName(file_name)

    def invalidate_caches(self) -> None:
        pass


def _spec(name: str, source: str, loader: Any, *, package: bool) -> ModuleSpec:
    spec = ModuleSpec(name, loader, origin=source, is_package=package)
    spec.has_location = True
    if package:
        spec.submodule_search_locations = [os.path.dirname(source)]
    return spec


class _LazyLoader:
    """Loads a cached module or package lazily; its real code runs only for a name it lacks."""

    def __init__(self, finder: _LazyFinder, name: str, source: str) -> None:
        self.finder = finder
        self.name = name
        self.source = source

    def create_module(self, spec: ModuleSpec) -> None:
        return None

    def missing(self, attribute: str) -> AttributeError:
        return AttributeError(f"module {self.name!r} has no attribute {attribute!r}")

    def from_real_code(self, module: ModuleType, attribute: str) -> Any:
        """Run the module's own code (the generated module's, the package's `__init__`) in
        ``module``, once, then give ``attribute`` from it."""
        del module.__getattr__
        SourceFileLoader(self.name, self.source).exec_module(module)
        try:
            return module.__dict__[attribute]
        except KeyError:
            raise self.missing(attribute) from None


class _LazyModuleLoader(_LazyLoader):
    """A generated `_pb2` module: its file in the pool, its names made when asked for."""

    def exec_module(self, module: ModuleType) -> None:
        descriptor = self.finder.add_file(self.finder.file_of_module[self.name])
        module.__dict__["DESCRIPTOR"] = descriptor

        def make(attribute: str) -> Any:
            if attribute.startswith("__"):  # the import system asks for `__path__`
                raise self.missing(attribute)
            value = _declared(descriptor, self.name, attribute)
            if value is None:
                return self.from_real_code(module, attribute)  # a name only the generated code has
            module.__dict__[attribute] = value
            return value

        module.__getattr__ = make  # type: ignore[method-assign]


class _LazyPackageLoader(_LazyLoader):
    """A package of generated modules (`temporalio.api.enums.v1`): each name its modules
    declare, from that module; anything else from the package's real `__init__`."""

    def exec_module(self, package: ModuleType) -> None:
        import importlib

        names = self.finder.packages[self.name][1]

        def find(attribute: str) -> Any:
            if attribute.startswith("__") and attribute != "__all__":
                raise self.missing(attribute)
            module_name = names.get(attribute)
            if module_name is not None:
                value = getattr(importlib.import_module(module_name), attribute)
                package.__dict__[attribute] = value
                return value
            if f"{self.name}.{attribute}" in self.finder.file_of_module:
                return importlib.import_module(f"{self.name}.{attribute}")
            return self.from_real_code(package, attribute)  # e.g. a service's stub: grpcio

        package.__getattr__ = find  # type: ignore[method-assign]


def _declared(file: Any, module_name: str, name: str) -> Any:
    """What the generated module of ``file`` names ``name`` (a message class, an enum, an
    enum's value, an extension), or None."""
    message = file.message_types_by_name.get(name)
    if message is not None:
        return _message_class(message, module_name)
    enum = file.enum_types_by_name.get(name)
    if enum is not None:
        from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

        return EnumTypeWrapper(enum)
    for enum in file.enum_types_by_name.values():
        value = enum.values_by_name.get(name)
        if value is not None:
            return value.number
    return file.extensions_by_name.get(name)


def _message_class(descriptor: Any, module_name: str) -> Any:
    from google._upb import _message
    from google.protobuf.message import Message

    attributes: dict[str, Any] = {
        name: _message_class(nested, module_name) for name, nested in descriptor.nested_types_by_name.items()
    }
    attributes.update(DESCRIPTOR=descriptor, __module__=module_name)
    made = _message.MessageMeta(descriptor.name, (Message,), attributes)
    # The pool may have made this class already, for a field of another message; it names
    # its module then as the generated code would.
    if made.__module__ != module_name:
        made.__module__ = module_name
    return made


def _write(root: str, path: str) -> None:
    """Keep the descriptors of every generated module under ``root`` (run when a process that
    found no cache ends; it imports them all, once)."""
    with contextlib.suppress(Exception):
        _write_cache(root, path)


def _write_cache(root: str, path: str) -> None:
    import importlib

    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.access(os.path.dirname(path), os.W_OK):
        return  # a cache that cannot be kept is not worth importing every module for
    for directory, _, names in os.walk(root):
        package = _PACKAGE + directory[len(root) :].replace(os.sep, ".")
        for name in sorted(names):
            if name.endswith("_pb2.py"):
                with contextlib.suppress(Exception):
                    importlib.import_module(f"{package}.{name[:-3]}")
    files: dict[str, _File] = {}
    packages: dict[str, _Package] = {}
    for module_name, module in list(sys.modules.items()):
        file = getattr(module, "__dict__", {}).get("DESCRIPTOR") if module_name.endswith("_pb2") else None
        source = getattr(module, "__file__", None)
        if file is None or not source or not hasattr(file, "serialized_pb"):
            continue
        stat = os.stat(source)
        dependencies = tuple(dependency.name for dependency in file.dependencies)
        files[file.name] = (module_name, source, stat.st_size, stat.st_mtime_ns, dependencies, file.serialized_pb)
        init = os.path.join(os.path.dirname(source), "__init__.py")
        if module_name.startswith(_PACKAGE + ".") and os.path.exists(init):
            _, declared_in = packages.setdefault(module_name.rpartition(".")[0], (init, {}))
            for declared in [*file.message_types_by_name, *file.enum_types_by_name]:
                declared_in.setdefault(declared, module_name)
    if any(dependency not in files for entry in files.values() for dependency in entry[4]):
        return  # a file its generated module did not bring: no cache rather than a broken one
    temporary = f"{path}.{os.getpid()}"
    try:
        with open(temporary, "wb") as out:
            marshal.dump({"format": _FORMAT, "files": files, "packages": packages}, out)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
