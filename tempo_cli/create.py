"""`tempo create DIR --sample NAME`: write a sample as a standalone project, ready to run.

A sample is an importable package of this distribution (``sample_food_delivery``)
plus a ``project_template/`` folder inside it (pyproject, README, tests). The
package is copied under the project's own package name and every mention of the
old name is rewritten, so the project runs without Tempo's source tree.
"""

from __future__ import annotations

import importlib.resources
import re
import shlex
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tempo_cli._context import abort

PROJECT_TEMPLATE = "project_template"
PROJECT_NAME_MARK = "__PROJECT_NAME__"
_TEXT_SUFFIXES = {".py", ".md", ".toml", ".html", ".txt", ".cfg", ".ini", ".css", ".js", ".json"}


@dataclass(frozen=True)
class Sample:
    """One sample `tempo create` can write.

    Attributes:
        name: What ``--sample`` takes.
        source_package: The package of this distribution that holds it.
        package: Its package name in the generated project.
        summary: One line for ``--list``.
    """

    name: str
    source_package: str
    package: str
    summary: str


SAMPLES: dict[str, Sample] = {
    sample.name: sample
    for sample in (
        Sample(
            "food-delivery",
            "sample_food_delivery",
            "food_delivery",
            "order food on a menu page, pick it up and deliver it on a driver portal "
            "(signals, a query, durable timers, retried activities)",
        ),
    )
}


class CreateError(Exception):
    """A one-line reason why the project was not written."""


def project_name(directory: Path) -> str:
    """A distribution name from the directory's name (``My Orders`` -> ``my-orders``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    return slug or "food-delivery"


def write_project(sample: Sample, directory: Path, *, force: bool = False) -> list[Path]:
    """Write ``sample`` into ``directory`` as a standalone project; return the files written.

    Raises:
        CreateError: ``directory`` is a file, or is not empty and ``force`` is false.
    """
    if directory.exists() and not directory.is_dir():
        raise CreateError(f"{directory} exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise CreateError(f"{directory} is not empty; use --force to write into it anyway")
    try:
        source = importlib.resources.files(sample.source_package)
    except ModuleNotFoundError:
        raise CreateError(
            f"the files of sample {sample.name!r} are not installed (package {sample.source_package}); "
            "reinstall tempo-devserver"
        ) from None
    replacements = {sample.source_package: sample.package, PROJECT_NAME_MARK: project_name(directory)}
    written: list[Path] = []
    for relative, item in _files(source):
        if relative.parts[0] == PROJECT_TEMPLATE:
            target = directory.joinpath(*relative.parts[1:])
        else:
            target = directory / sample.package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        data = item.read_bytes()
        if relative.suffix in _TEXT_SUFFIXES:
            text = data.decode("utf-8")
            for old, new in replacements.items():
                text = text.replace(old, new)
            data = text.encode("utf-8")
        target.write_bytes(data)
        written.append(target)
    return written


def _files(root: Traversable, prefix: Path = Path()) -> list[tuple[Path, Traversable]]:
    """Every file under ``root`` (sorted, caches left out), with its path relative to ``root``."""
    found: list[tuple[Path, Traversable]] = []
    for item in sorted(root.iterdir(), key=lambda i: i.name):
        relative = prefix / item.name
        if item.is_dir():
            if item.name != "__pycache__":
                found.extend(_files(item, relative))
        elif not item.name.endswith((".pyc", ".pyo")):
            found.append((relative, item))
    return found


def _sample_list() -> str:
    return "\n".join(f"  {s.name:<16} {s.summary}" for s in SAMPLES.values())


def create(
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR", help="Directory to write the project into (created if missing).", show_default=False
        ),
    ] = None,
    sample: Annotated[str, typer.Option("--sample", "-s", help="Which sample to write.")] = "food-delivery",
    force: Annotated[bool, typer.Option("--force", help="Write into a directory that is not empty.")] = False,
    list_samples: Annotated[bool, typer.Option("--list", help="List the samples and exit.")] = False,
) -> None:
    """Write a sample project you can run and change, like `npx @temporalio/create`.

    The project has its own pyproject.toml (it needs only tempo-devserver), a
    README with the steps to run it, the workflow, activities, worker, web apps
    and their tests.

    \b
    Examples:
      tempo create my-delivery --sample food-delivery
      tempo create --list
    """
    if list_samples:
        print(_sample_list())
        return
    if directory is None:
        _fail("give the directory to create the project in, e.g. `tempo create my-delivery --sample food-delivery`")
    chosen = SAMPLES.get(sample)
    if chosen is None:
        _fail(f"unknown sample {sample!r}; the samples are: {', '.join(SAMPLES)}")
    try:
        write_project(chosen, directory, force=force)
    except CreateError as err:
        _fail(str(err))
    except OSError as err:
        _fail(f"cannot write {directory}: {err.strerror or err}")
    print(_next_steps(chosen, directory))


def _next_steps(sample: Sample, directory: Path) -> str:
    where = shlex.quote(str(directory))
    return (
        f"Created the {sample.name} sample in {where}. It needs nothing beyond Tempo (already installed).\n"
        "\n"
        "Next:\n"
        "  1. Start a dev server (in another terminal):  tempo server start-dev\n"
        f"  2. Run the worker and both web apps:          cd {where} && python -m {sample.package}\n"
        "  3. Order on the menu:                         http://localhost:3000\n"
        "     and deliver on the driver portal:          http://localhost:3001\n"
        "\n"
        f"Then: tempo workflow list, tempo tui. Tests: cd {where} && python -m pytest"
    )


def _fail(message: str) -> NoReturn:
    abort(message)
