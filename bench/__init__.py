"""The benchmark (`python -m bench`): Tempo next to the real dev server, in one run."""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("devserver", "sdk", "tempo_cli", "tempo_wire", "sample_food_delivery")
"""Tempo's packages: what every server and command it starts imports."""


def compile_bytecode(packages: tuple[str, ...] = PACKAGES) -> None:
    """Compile ``packages`` (under the repository's root) to bytecode, as installing a package
    does: with PYTHONDONTWRITEBYTECODE set (as in CI) and a fresh checkout, every server and
    command started would otherwise compile its modules anew (about 0.1 s of every start)."""
    for package in packages:
        compileall.compile_dir(ROOT / package, quiet=1, workers=2)
