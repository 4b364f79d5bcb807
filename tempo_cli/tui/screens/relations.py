"""``g`` on a run: its family as a tree, from the root workflow down through every child, and
the runs of its own workflow before and after it. Enter on any node opens that run."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Tree

from sdk.client import Client
from sdk.exceptions import TempoError
from tempo_cli._errors import describe_error
from tempo_cli._trace import TraceNode, trace
from tempo_cli.tui.history_model import RunLink
from tempo_cli.tui.screens.base import TempoModal
from tempo_cli.tui.verbatim import verbatim

_STATUS_MARKS = {
    "RUNNING": "▶",
    "COMPLETED": "✔",
    "FAILED": "✖",
    "CANCELED": "⊘",
    "TERMINATED": "■",
    "CONTINUED_AS_NEW": "↻",
    "TIMED_OUT": "⏱",
}


def node_label(node: TraceNode, *, current: bool) -> str:
    """One line for a run: status, type, workflow id, the end of its run id."""
    status = node.status.name if node.status is not None else ""
    mark = _STATUS_MARKS.get(status, "?")
    text = f"{mark} {node.workflow_type or '?'}  {node.workflow_id}  run …{node.run_id[-8:]}  {status.title()}"
    return f"{text}  ◀ this run" if current else text


class RelationsScreen(TempoModal):
    """Answers the chosen run as a :class:`RunLink`, or ``None``."""

    def __init__(self, client: Client, workflow_id: str, run_id: str, root: tuple[str, str] | None) -> None:
        super().__init__()
        self.client = client
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.root = root or (workflow_id, run_id)
        self.family: TraceNode | None = None
        self.chain: TraceNode | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="relations"):
            yield Label(f"Relations of {self.workflow_id}", classes="dialog-title", markup=False)
            tree: Tree[RunLink] = Tree("loading…", id="relations-tree")
            tree.show_root = False
            yield tree
            yield Label("Enter: open the run · Esc: close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Tree).focus()
        self.load()

    @work(exclusive=True, exit_on_error=False, description="read the family's histories")
    async def load(self) -> None:
        try:
            family = await trace(self.client, self.root[0], self.root[1] or None, fold=frozenset())
            chain = await trace(self.client, self.workflow_id, self.run_id or None, depth=0, fold=frozenset())
        except TempoError as err:
            self.query_one(Tree).root.set_label(verbatim(f"Could not read the runs: {describe_error(err, '')}"))
            return
        self.family, self.chain = family, chain
        self._draw(family, chain)

    def _draw(self, family: TraceNode, chain: TraceNode) -> None:
        tree = self.query_one(Tree)
        tree.clear()
        family_root = tree.root.add("Family (root workflow and its children)", expand=True)
        self._add(family_root, family)
        runs = tree.root.add(verbatim(f"Runs of {self.workflow_id}"), expand=True)
        if chain.previous_run_id:
            link = RunLink("Previous run", self.workflow_id, chain.previous_run_id)
            runs.add_leaf(f"↑ previous run …{chain.previous_run_id[-8:]}", data=link)
        runs.add_leaf(
            verbatim(node_label(chain, current=True)), data=RunLink("This run", chain.workflow_id, chain.run_id)
        )
        if chain.next_run_id:
            link = RunLink("Next run", self.workflow_id, chain.next_run_id)
            runs.add_leaf(f"↓ next run …{chain.next_run_id[-8:]}", data=link)
        tree.root.expand_all()

    def _add(self, parent: object, node: TraceNode) -> None:
        current = node.workflow_id == self.workflow_id and node.run_id == self.run_id
        link = RunLink("Run", node.workflow_id, node.run_id)
        label = verbatim(node_label(node, current=current))
        if node.children:
            branch = parent.add(label, data=link, expand=True)  # type: ignore[attr-defined]
            for child in node.children:
                self._add(branch, child)
        else:
            parent.add_leaf(label, data=link)  # type: ignore[attr-defined]

    @on(Tree.NodeSelected)
    def _chosen(self, event: Tree.NodeSelected[RunLink]) -> None:
        if event.node.data is not None:
            self.dismiss(event.node.data)
