"""The package boundaries: which product code may import what.

- Product code takes only the generated protobuf classes (`temporalio.api.*`) from the
  official SDK; the rest of `temporalio` is a test peer, never a dependency.
- Arrows point one way: `tempo_cli` uses `devserver`, `sdk` and the UI; the sample uses
  `sdk`; nothing uses `tempo_cli`; `devserver` and `sdk` never import each other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = ["devserver", "sdk", "tempo_cli", "sample_food_delivery"]

# package -> top-level product packages it must not import
FORBIDDEN = {
    "devserver": {"sdk", "tempo_cli", "sample_food_delivery"},
    "sdk": {"devserver", "tempo_cli", "sample_food_delivery"},
    "sample_food_delivery": {"devserver", "tempo_cli"},
    "tempo_cli": {"sample_food_delivery"},
}


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
        if module.split(".")[0] in FORBIDDEN[package]
    ]
    assert offenders == []
