"""``g`` on a run: the family tree (root, children, grandchildren) and the runs of its workflow,
each one key away; against both servers, with the official SDK's worker (tests/sdk_client)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Tree

from sdk.client import Client, WorkflowStatus
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.relations import RelationsScreen
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tests.tui.conftest import SIZE, screen_mounted, unique, wait_for


def _labels(tree: Tree[object]) -> list[tuple[int, str]]:
    """(depth, label) of every node, in order."""
    out: list[tuple[int, str]] = []

    def walk(node: object, depth: int) -> None:
        for child in node.children:  # type: ignore[attr-defined]
            out.append((depth, str(child.label)))
            walk(child, depth + 1)

    walk(tree.root, 0)
    return out


async def test_the_family_tree_of_a_grandchild_and_opening_the_root(
    server_address: str, official: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await Client.connect(server_address)
    root_id = unique("family")
    await client.start_workflow("FamilyRoot", id=root_id, task_queue=official)
    leaf_id = f"{root_id}-waits-leaf"

    async def leaf_started() -> bool:
        try:
            return (await client.get_workflow_handle(leaf_id).describe()).status == WorkflowStatus.RUNNING
        except Exception:
            return False

    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            if await leaf_started():
                break
            await pilot.pause(0.1)
        app.open_workflow(leaf_id)
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowScreen) and bool(app.screen.events), "the leaf")
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, RelationsScreen), "the relations")
        screen = app.screen
        assert isinstance(screen, RelationsScreen)
        await wait_for(pilot, lambda: screen.family is not None, "the family read")
        labels = _labels(screen.query_one(Tree))
        runs_at = next(i for i, (_, label) in enumerate(labels) if label.startswith("Runs of"))
        family = labels[:runs_at]
        assert [(depth, label.split("  ")[0], label.split("  ")[1]) for depth, label in family[1:]] == [
            (1, "▶ FamilyRoot", root_id),
            (2, "✔ FamilyChild", f"{root_id}-quick"),
            (2, "▶ FamilyChild", f"{root_id}-waits"),
            (3, "▶ FamilyLeaf", leaf_id),
        ]
        assert family[-1][1].endswith("◀ this run")
        # Enter on the root opens it.
        tree = screen.query_one(Tree)
        root_node = next(node for node in tree.root.children[0].children)
        tree.select_node(root_node)
        await pilot.pause()
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, WorkflowScreen) and app.screen.workflow_id == root_id,
            "the root's screen",
        )
        await screen_mounted(pilot, app)
    await client.get_workflow_handle(leaf_id).signal("finish")
    assert await client.get_workflow_handle(root_id).result() == "child done, leaf done"
    await client.close()
