"""The package boundaries: which product code may import what.

- Product code takes only the generated protobuf classes (`temporalio.api.*`) from the
  official SDK; the rest of `temporalio` is a test peer, never a dependency.
- Arrows point one way: `tempo_cli` uses `devserver`, `sdk` and the UI; the sample uses
  `sdk`; nothing uses `tempo_cli`; `tempo_wire` (gRPC's bytes, both ends) uses nothing but the
  standard library; `devserver` and `sdk` never import each other, but for one
  deliberate door: `sdk.testing` starts Tempo's server in the test's process
  (`WorkflowEnvironment.start_in_process`), importing `devserver.app` when that is called.
- Modules imported by name at run time (importlib) are imported only in the files named in
  `IMPORTS_BY_NAME`, each for a reason given there; `tempo_cli._temporalio_api` registers the
  `temporalio` package with its `__init__` deferred, so that `tempo` loads only `temporalio.api`
  (tests/cli/test_startup.py checks that at run time), and `tempo_cli._proto_cache` serves the
  generated modules of `temporalio.api` from their cached descriptors.
- In `tests/`, nothing imports a `test_*.py` module: what tests share lives in helper modules
  (pytest would otherwise collect, and run, the imported module's tests a second time).
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = ["devserver", "sdk", "tempo_cli", "tempo_wire", "sample_food_delivery"]

# package -> top-level product packages it must not import
FORBIDDEN = {
    "devserver": {"sdk", "tempo_cli", "sample_food_delivery"},
    "sdk": {"devserver", "tempo_cli", "sample_food_delivery"},
    "sample_food_delivery": {"devserver", "tempo_cli"},
    "tempo_cli": {"sample_food_delivery"},
    # gRPC's bytes, shared by the server's transport and the CLI's client: the standard library only.
    "tempo_wire": {"devserver", "sdk", "tempo_cli", "sample_food_delivery", "temporalio", "google", "grpc"},
}

# (file, module) imports that cross a boundary on purpose (see the module docstring).
ALLOWED = {("sdk/testing.py", "devserver.app")}

# Product files that import modules by name at run time, and what they import.
IMPORTS_BY_NAME = {
    "sdk/__init__.py": "its own client and worker-side modules, when first named (_LAZY)",
    "sdk/client.py": "its own modules of updates, async activities, histories, start options, when first named",
    "tempo_cli/_lazy_groups.py": "the command modules tempo_cli/main.py names (checked below)",
    "tempo_cli/_temporalio_api.py": "the temporalio package itself, its __init__ deferred",
    "tempo_cli/_proto_cache.py": "temporalio.api's generated modules, made lazily from their cached descriptors",
    "tempo_cli/_dataclass_code.py": "the standard library's dataclasses, found to patch its compilation when imported",
    "tempo_cli/_plain_asyncio.py": "the standard library's asyncio, with `ssl` kept from it while it loads",
    "tempo_cli/_deferred_stdlib.py": "standard modules (`inspect`) a stand-in imports when first used",
    "tempo_cli/_codec_http.py": "the user's codec, named by `tempo codec-server --codec MODULE:CLASS`",
}
_IMPORT_MACHINERY = {"import_module", "__import__", "find_spec", "module_from_spec", "exec_module"}


def _modules_imported(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _product_files() -> Iterator[tuple[str, Path]]:
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


def test_the_product_packages_exist() -> None:
    files = list(_product_files())
    assert {package for package, _ in files} >= {"devserver", "sdk", "tempo_cli"}


@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_product_code_takes_only_the_protobuf_classes_from_temporalio(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for pkg, path in _product_files()
        if pkg == package
        for line, module in _modules_imported(path)
        if (module == "temporalio" or module.startswith("temporalio.")) and not module.startswith("temporalio.api")
    ]
    assert offenders == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for pkg, path in _product_files()
        if pkg == package
        for line, module in _modules_imported(path)
        if module.split(".")[0] in FORBIDDEN[package] and (str(path.relative_to(ROOT)), module) not in ALLOWED
    ]
    assert offenders == []


def _imports_by_name(path: Path) -> bool:
    """Whether the file calls the import machinery itself or writes to sys.modules."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in _IMPORT_MACHINERY:
                return True
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and ast.unparse(target.value) == "sys.modules":
                    return True
    return False


def test_modules_are_imported_by_name_only_where_known() -> None:
    found = {str(path.relative_to(ROOT)) for _, path in _product_files() if _imports_by_name(path)}
    assert found == set(IMPORTS_BY_NAME)


def test_the_commands_tempo_mounts_by_name_are_its_own_modules() -> None:
    from tempo_cli.main import COMMANDS, GROUPS

    modules = [*GROUPS.values(), *(module for module, _ in COMMANDS.values())]
    assert [m for m in modules if m.split(".")[0] != "tempo_cli" or importlib.util.find_spec(m) is None] == []


def _test_modules_imported(source: str) -> Iterator[tuple[int, str]]:
    """The `test_*` modules that Python source imports: `import a.test_x`, `from a.test_x import y`,
    `from a import test_x`, and the relative forms."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name.rsplit(".", 1)[-1].startswith("test_"):
                yield node.lineno, name


def test_the_rule_for_test_modules_sees_every_form_of_import() -> None:
    source = "\n".join(
        [
            "import tests.devserver.test_core",
            "from tests.devserver.test_core import Run",
            "from tests.devserver import scenarios, test_reset",
            "from .test_updates import update_worker",
            "from . import test_persistence",
            "from tests.devserver.core_harness import Run",
            "import pytest",
        ]
    )
    assert [line for line, _ in _test_modules_imported(source)] == [1, 2, 3, 4, 5]


def test_no_test_module_is_imported() -> None:
    files = sorted((ROOT / "tests").rglob("*.py"))
    assert len(files) > 100
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in files
        for line, module in _test_modules_imported(path.read_text())
    ]
    assert offenders == [], "move what the tests share into a helper module (not test_*.py)"
