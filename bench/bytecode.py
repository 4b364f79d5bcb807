"""Tempo's modules compiled to bytecode before anything is started, as installing a package does.

With PYTHONDONTWRITEBYTECODE set (as in CI) and a fresh checkout, every server and `tempo`
command started would otherwise compile the modules it imports anew: about 0.1 s of each start,
which the benchmark would count as Tempo's and the test suite pays thousands of times. Used by
`python -m bench` and by the suite's conftest. (No workflow module imports this one: the official
SDK's sandbox re-imports those and refuses file-system calls at import.)
"""

from __future__ import annotations

import compileall
from collections.abc import Iterable
from pathlib import Path

PACKAGES = ("devserver", "sdk", "tempo_cli", "tempo_wire", "sample_food_delivery")
"""Tempo's own packages: what its servers, commands and sample import."""


def compile_packages(packages: Iterable[str] = PACKAGES, workers: int = 1) -> None:
    """Compile ``packages`` (directories of the repository) to bytecode, quietly."""
    root = Path(__file__).resolve().parent.parent
    for package in packages:
        compileall.compile_dir(root / package, quiet=1, workers=workers)
