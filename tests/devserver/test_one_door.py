"""The server's structure, checked: every change to a run goes through the engine's door.

- Only the door (`devserver/engine.py`) and the core build a `Changes`; the engine commits
  to the store in one place; nothing else commits.
- Outside `devserver/core/`, no module writes to a run's state or an entity of it (an
  attribute of `MutableState`, a workflow task, an activity, a timer, a child, an update):
  handlers read, the core's rules write, inside the door.
- Outside `devserver/core/lifecycles.py`, nothing writes an entity's lifecycle state (its
  `state`, an activity's `cancel_request` and `reset_request`): every state changes through
  its table (`Lifecycle.move`/`next`/`restore`).
- No module of the server asks for the current task (`asyncio.current_task`, `asyncio.timeout`,
  `asyncio.TaskGroup`): a call's handler runs its first step at once, outside any task on
  Python 3.11 (`devserver/h2_server.py`), where those find none.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path

from devserver.core.activities import ActivityInfo
from devserver.core.lifecycles import LIFECYCLES
from devserver.core.mutable_state import ChildInfo, MutableState, TimerInfo, UpdateInfo, WorkflowTask

ROOT = Path(__file__).resolve().parents[2]
DEVSERVER = ROOT / "devserver"
CORE = DEVSERVER / "core"
DOOR = DEVSERVER / "engine.py"
LIFECYCLES_MODULE = CORE / "lifecycles.py"

CORE_CLASSES = (MutableState, WorkflowTask, ActivityInfo, TimerInfo, ChildInfo, UpdateInfo)
CORE_FIELDS = {f.name for cls in CORE_CLASSES for f in dataclasses.fields(cls)}
# The names handlers give runs and their entities.
STATE_NAMES = {"state", "run", "parent", "child", "source", "target", "existing", "current", "successor"}
STATE_NAMES |= {"info", "task", "timer", "update", "known"}
MUTATORS = {"append", "extend", "pop", "popitem", "clear", "update", "add", "discard", "remove", "setdefault"}
MUTATORS |= {"CopyFrom", "MergeFrom", "Clear", "ClearField"}
ENTITY_CLASSES = {cls.__name__ for cls in (WorkflowTask, ActivityInfo, TimerInfo, ChildInfo, UpdateInfo)}
# The fields that hold an entity's lifecycle states.
LIFECYCLE_FIELDS = {lifecycle.attribute for lifecycle in LIFECYCLES.values()}


def _modules_outside_core() -> Iterator[Path]:
    for path in sorted(DEVSERVER.rglob("*.py")):
        if CORE not in path.parents:
            yield path


def _writes_to_core_state(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """`state.field = ...`, `state.field[k] = ...`, `del state.field[k]`, `state.field.append(...)`..."""

    def names_core_field(node: ast.expr) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr in CORE_FIELDS
            and isinstance(node.value, ast.Name)
            and node.value.id in STATE_NAMES
        )

    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                store = isinstance(part, ast.Attribute) and isinstance(part.ctx, ast.Store | ast.Del)
                if (store and names_core_field(part)) or (
                    isinstance(part, ast.Subscript) and names_core_field(part.value)
                ):
                    yield node.lineno, ast.unparse(target)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATORS
            and names_core_field(node.func.value)
        ):
            yield node.lineno, ast.unparse(node)


def _calls(tree: ast.AST, name: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called == name:
                yield node.lineno, ast.unparse(node)


def test_no_module_outside_the_core_writes_to_a_run() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in _modules_outside_core()
        for line, code in _writes_to_core_state(ast.parse(path.read_text()))
    ]
    assert offenders == []


def test_the_check_finds_a_write_to_a_run() -> None:
    """The check above is not vacuous: it catches the forms a handler could write in."""
    sample = ast.parse(
        "state.sticky_queue = ''\n"
        "info.attempt += 1\n"
        "del state.updates[update_id]\n"
        "state.timers[timer_id] = timer\n"
        "child.parent_notified = True\n"
        "state.buffered_events.append(event)\n"
        "response.workflow_execution.run_id = state.key.run_id\n"  # a protobuf answer: fine
    )
    assert [line for line, _ in _writes_to_core_state(sample)] == [1, 2, 3, 4, 5, 6]


def test_only_the_door_and_the_core_build_changes() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in _modules_outside_core()
        if path != DOOR
        for line, code in _calls(ast.parse(path.read_text()), "Changes")
    ]
    assert offenders == []


def test_the_engine_commits_to_the_store_in_one_place() -> None:
    door = ast.parse(DOOR.read_text())
    assert [code for _, code in _calls(door, "commit")] == [
        "self.store.commit([RunWrite(state, ch.events) for state, ch in changed])"
    ]
    elsewhere = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in sorted(DEVSERVER.rglob("*.py"))
        if path != DOOR
        for line, code in _calls(ast.parse(path.read_text()), "commit")
    ]
    assert elsewhere == [], "only the engine's door commits"


def _writes_lifecycle_state(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """`x.state = ...` (or `x.cancel_request`, ...), `setattr(x, "state", ...)`, and an entity
    built in a state (`ActivityInfo(..., state=...)`). An object's own attribute is not an
    entity's state (`self.state = state`: core.commands keeps its run so), except in an
    entity's class."""

    def check(node: ast.AST, entity_class: bool) -> Iterator[tuple[int, str]]:
        if isinstance(node, ast.ClassDef):
            for child in node.body:
                yield from check(child, node.name in ENTITY_CLASSES)
            return
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if (
                    isinstance(part, ast.Attribute)
                    and isinstance(part.ctx, ast.Store | ast.Del)
                    and part.attr in LIFECYCLE_FIELDS
                    and (entity_class or not (isinstance(part.value, ast.Name) and part.value.id == "self"))
                ):
                    yield node.lineno, ast.unparse(target)
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            named = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
            if called == "setattr" and named and named[0] in LIFECYCLE_FIELDS:
                yield node.lineno, ast.unparse(node)
            if called in ENTITY_CLASSES and any(k.arg in LIFECYCLE_FIELDS for k in node.keywords):
                yield node.lineno, ast.unparse(node)
        for child in ast.iter_child_nodes(node):
            yield from check(child, entity_class)

    yield from check(tree, False)


# Writes of a `state` that is no run entity's: the file, and the one write allowed there.
NOT_A_RUN_ENTITY = {
    # A namespace's registration state (the NamespaceInfo proto's field), which UpdateNamespace
    # moves forward by Namespace.update's own table (_STATE_CHANGES).
    "devserver/namespaces.py": "self.info.state",
}


def test_only_the_lifecycles_write_an_entitys_state() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in sorted(DEVSERVER.rglob("*.py"))
        if path != LIFECYCLES_MODULE
        for line, code in _writes_lifecycle_state(ast.parse(path.read_text()))
        if NOT_A_RUN_ENTITY.get(str(path.relative_to(ROOT))) != code
    ]
    assert offenders == [], "change an entity's state through its lifecycle (core.lifecycles)"


def test_the_check_finds_a_state_written_outside_the_lifecycles() -> None:
    """The check above is not vacuous: it catches the forms a rule could write a state in."""
    sample = ast.parse(
        "info.state = ActivityState.PAUSED\n"
        "task.state = WorkflowTaskState.STARTED\n"
        "state.timers[timer_id].state = TimerState.FIRED\n"
        "info.cancel_request = CancelRequest.REQUESTED\n"
        "setattr(update, 'state', UpdateState.ACCEPTED)\n"
        "ChildInfo(event_id, attrs, state=ChildState.STARTED)\n"
        "class ActivityInfo:\n"
        "    def pause(self):\n"
        "        self.state = ActivityState.PAUSED\n"
        "class Completion:\n"
        "    def __init__(self, state):\n"
        "        self.state = state\n"  # an object's own attribute: fine
        "ACTIVITY.next(info, ActivityEvent.PAUSE)\n"  # through the table: fine
        "paused = info.state is ActivityState.PAUSED\n"  # a read: fine
    )
    assert [line for line, _ in _writes_lifecycle_state(sample)] == [1, 2, 3, 4, 5, 6, 9]


def test_no_server_code_needs_to_run_in_a_task() -> None:
    needs_a_task = ("current_task", "timeout", "TaskGroup")
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}: asyncio.{node.attr}"
        for path in sorted(DEVSERVER.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and node.attr in needs_a_task
        and isinstance(node.value, ast.Name)
        and node.value.id == "asyncio"
    ]
    assert offenders == []
