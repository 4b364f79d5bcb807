"""The Workflows screen's filter, and the visibility queries it turns into: pure, no Textual."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sdk.client import WorkflowStatus

# The statuses a user filters by, in the order of the number keys 1..7 (0 is "all").
STATUSES = [
    WorkflowStatus.RUNNING,
    WorkflowStatus.COMPLETED,
    WorkflowStatus.FAILED,
    WorkflowStatus.CANCELED,
    WorkflowStatus.TERMINATED,
    WorkflowStatus.CONTINUED_AS_NEW,
    WorkflowStatus.TIMED_OUT,
]


def quote(value: str) -> str:
    """A string literal of Temporal's list-filter language."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


@dataclass(frozen=True)
class WorkflowFilter:
    """What the user filters the list by; every part is optional and they combine with AND.

    Attributes:
        status: Only runs with this status.
        workflow_type: Only runs of this workflow type.
        id_prefix: Only runs whose workflow ID starts with this.
        query: A visibility query typed by the user, used as is.
        name: The name it was saved under, if it is a saved filter.
    """

    status: WorkflowStatus | None = None
    workflow_type: str = ""
    id_prefix: str = ""
    query: str = ""
    name: str = ""

    def clauses(self, *, with_status: bool = True) -> list[str]:
        """The parts of the visibility query, one per filter that is set.

        The typed query is wrapped in parentheses when it is not alone, so an ``OR`` in
        it cannot escape the other filters.
        """
        parts = []
        if with_status and self.status is not None:
            parts.append(f"ExecutionStatus = {quote(self.status.display)}")
        if self.workflow_type:
            parts.append(f"WorkflowType = {quote(self.workflow_type)}")
        if self.id_prefix:
            parts.append(f"WorkflowId STARTS_WITH {quote(self.id_prefix)}")
        typed = self.query.strip()
        if typed:
            parts.append(f"({typed})" if parts else typed)
        return parts

    def visibility_query(self) -> str:
        """The query ListWorkflowExecutions gets (empty lists everything)."""
        return " AND ".join(self.clauses())

    def count_query(self) -> str:
        """The query of the per-status counts: every filter but the status, grouped by status."""
        return " ".join([" AND ".join(self.clauses(with_status=False)), "GROUP BY ExecutionStatus"]).strip()

    def with_status(self, status: WorkflowStatus | None) -> WorkflowFilter:
        """The same filter with another status (``None``: any)."""
        return replace(self, status=status, name="")

    @property
    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return not self.clauses()

    def to_json(self) -> dict[str, str]:
        """A JSON object for the saved-filters file."""
        return {
            "name": self.name,
            "status": self.status.display if self.status is not None else "",
            "workflowType": self.workflow_type,
            "idPrefix": self.id_prefix,
            "query": self.query,
        }

    @classmethod
    def from_json(cls, doc: dict[str, str]) -> WorkflowFilter:
        """Read a filter written by :meth:`to_json`; unknown statuses are ignored."""
        by_name = {s.display: s for s in STATUSES}
        return cls(
            status=by_name.get(str(doc.get("status", ""))),
            workflow_type=str(doc.get("workflowType", "")),
            id_prefix=str(doc.get("idPrefix", "")),
            query=str(doc.get("query", "")),
            name=str(doc.get("name", "")),
        )
