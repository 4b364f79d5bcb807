"""The methods `dataclasses` generates, from `tempo`'s cache of compiled code
(`tempo_cli._dataclass_code`): the same methods as without it, a cache written by the first
process and used by the next, and nothing loaded until something imports `dataclasses`."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# Dataclasses of every kind the product uses, described by what a user of them sees.
DESCRIBE = """
import dataclasses, inspect, json, sys
from typing import ClassVar

@dataclasses.dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()

@dataclasses.dataclass(order=True)
class Job:
    priority: int
    name: str = dataclasses.field(default="job", compare=False)
    seen: list[int] = dataclasses.field(default_factory=list)
    limit: ClassVar[int] = 3

@dataclasses.dataclass(kw_only=True)
class Options:
    retries: int = 1
    note: str | None = None

point, job = Point(1, 2, ("a",)), Job(2)
try:
    point.x = 5
    frozen = "assigned"
except dataclasses.FrozenInstanceError as err:
    frozen = str(err)
facts = {
    "repr": [repr(point), repr(job), repr(Options(retries=2))],
    "eq": [point == Point(1, 2, ("a",)), Job(1) < Job(2), hash(point) == hash(Point(1, 2, ("a",)))],
    "frozen": frozen,
    "signatures": [str(inspect.signature(cls)) for cls in (Point, Job, Options)],
    "annotations": [repr(cls.__init__.__annotations__) for cls in (Point, Job, Options)],
    "filename": Point.__init__.__code__.co_filename,
    "replace": repr(dataclasses.replace(point, y=7)),
}
"""

WITH_THE_CACHE = (
    "from tempo_cli import _dataclass_code\n_dataclass_code.install()\n"
    + DESCRIBE
    + "print(json.dumps({'facts': facts, 'exec': 'exec' in vars(dataclasses)}))\n"
)
WITHOUT = DESCRIBE + "print(json.dumps({'facts': facts, 'exec': 'exec' in vars(dataclasses)}))\n"


def run(code: str, cache_home: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_CACHE_HOME": str(cache_home)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_methods_are_the_ones_dataclasses_makes_whether_cached_or_not(tmp_path: Path) -> None:
    plain = run(WITHOUT, tmp_path / "unused")
    assert plain["exec"] is False
    first = run(WITH_THE_CACHE, tmp_path)  # compiles, and writes the cache when it ends
    [cache] = (tmp_path / "tempo").glob("dataclass-code-*.marshal")
    written = cache.stat().st_mtime_ns
    second = run(WITH_THE_CACHE, tmp_path)  # compiles nothing: every text is in the cache
    assert first["exec"] is second["exec"] is True
    assert first["facts"] == second["facts"] == plain["facts"]
    assert cache.stat().st_mtime_ns == written  # nothing new to keep


@pytest.mark.parametrize("garbage", [b"", b"\x00not marshal", b"\xfb\x00"])
def test_an_unreadable_cache_is_compiled_around_and_written_anew(tmp_path: Path, garbage: bytes) -> None:
    plain = run(WITHOUT, tmp_path / "unused")
    run(WITH_THE_CACHE, tmp_path)
    [cache] = (tmp_path / "tempo").glob("dataclass-code-*.marshal")
    cache.write_bytes(garbage)
    assert run(WITH_THE_CACHE, tmp_path)["facts"] == plain["facts"]
    assert cache.read_bytes() != garbage


def test_installing_loads_nothing_until_something_imports_dataclasses(tmp_path: Path) -> None:
    code = (
        "import json, sys\nfrom tempo_cli import _dataclass_code\n_dataclass_code.install()\n"
        "before = 'dataclasses' in sys.modules\nimport dataclasses\n"
        "print(json.dumps([before, 'exec' in vars(dataclasses)]))\n"
    )
    assert run(code, tmp_path) == [False, True]  # type: ignore[comparison-overlap]


def _read(cache: Path) -> tuple[dict[str, Any], bytes]:
    """The cache's index and its entries (the index's size in 8 bytes, then the index)."""
    content = cache.read_bytes()
    size = int.from_bytes(content[:8], "little")
    return marshal.loads(content[8 : 8 + size]), content[8 + size :]


def _rewrite(cache: Path, entries: Callable[[dict[str, Any], bytes], tuple[dict[str, Any], bytes]]) -> None:
    header, rest = entries(*_read(cache))
    encoded = marshal.dumps(header)
    cache.write_bytes(len(encoded).to_bytes(8, "little") + encoded + rest)


def test_damaged_entries_are_compiled_around(tmp_path: Path) -> None:
    plain = run(WITHOUT, tmp_path / "unused")
    run(WITH_THE_CACHE, tmp_path)
    [cache] = (tmp_path / "tempo").glob("dataclass-code-*.marshal")
    _rewrite(cache, lambda header, rest: (header, b"\xfb" * len(rest)))
    assert run(WITH_THE_CACHE, tmp_path)["facts"] == plain["facts"]


def test_an_entry_of_another_text_under_the_same_key_is_not_used(tmp_path: Path) -> None:
    # Every key made to point at one entry: as if all texts had the same length and CRC.
    plain = run(WITHOUT, tmp_path / "unused")
    run(WITH_THE_CACHE, tmp_path)
    [cache] = (tmp_path / "tempo").glob("dataclass-code-*.marshal")

    def one_entry_for_all(header: dict[str, Any], rest: bytes) -> tuple[dict[str, Any], bytes]:
        first = next(iter(header["index"].values()))
        return {**header, "index": dict.fromkeys(header["index"], first)}, rest

    _rewrite(cache, one_entry_for_all)
    assert run(WITH_THE_CACHE, tmp_path)["facts"] == plain["facts"]


def test_a_cache_of_the_earlier_layout_is_written_anew(tmp_path: Path) -> None:
    # The first layout: the index keyed by the texts, the entries inside the one object.
    plain = run(WITHOUT, tmp_path / "unused")
    run(WITH_THE_CACHE, tmp_path)
    [cache] = (tmp_path / "tempo").glob("dataclass-code-*.marshal")
    cache.write_bytes(marshal.dumps({"version": sys.version, "index": {"x = 1": (0, 1)}, "blob": b"\x00"}))
    assert run(WITH_THE_CACHE, tmp_path)["facts"] == plain["facts"]
    assert _read(cache)[0]["format"] == 3
