"""Queries: answered by the worker through the next workflow task, or a query-only task.

A query that arrives while a workflow task is scheduled rides on it; while one is
started, it waits for the next; otherwise (or once the run has closed) it goes out
as a query-only ("legacy") task. Queries live only as long as their callers wait:
they are not history.
"""

from __future__ import annotations

from temporalio.api.query.v1 import message_pb2 as query_pb

from devserver.core.changes import Changes, QueryAnswer, QueryTaskRef
from devserver.core.mutable_state import MutableState
from devserver.errors import TaskNotFound, WorkflowNotReady


def query(state: MutableState, ch: Changes, query_id: str, query: query_pb.WorkflowQuery) -> None:
    """Route a query: into the next workflow task if one is coming, else a query task."""
    if not state.running and not state.any_workflow_task_started:
        raise WorkflowNotReady()
    task = state.workflow_task
    if state.running and task is not None and not task.started:
        task.queries[query_id] = query
    elif state.running and task is not None:
        state.buffered_queries[query_id] = query
    else:
        dispatch_legacy(state, ch, query_id, query)


def dispatch_legacy(state: MutableState, ch: Changes, query_id: str, query: query_pb.WorkflowQuery) -> None:
    sticky = bool(state.sticky_queue) and state.running
    queue = state.sticky_queue if sticky else state.task_queue
    state.legacy_queries[query_id] = query
    ch.tasks.append(QueryTaskRef(state.key, queue, sticky, query_id))


def legacy_query(state: MutableState, query_id: str) -> query_pb.WorkflowQuery | None:
    """The query a query-only task asks, while it waits for its answer."""
    return state.legacy_queries.get(query_id)


def has_legacy_query(state: MutableState, query_id: str) -> bool:
    return query_id in state.legacy_queries


def answer_legacy(state: MutableState, ch: Changes, query_id: str, answer: QueryAnswer) -> None:
    if state.legacy_queries.pop(query_id, None) is None:
        ch.ignore_stale("query", query_id, "answer")
        raise TaskNotFound("query task not found or already answered")
    ch.query_answers[query_id] = answer


def forget(state: MutableState, query_id: str) -> None:
    """The caller gave up waiting."""
    state.legacy_queries.pop(query_id, None)
    state.buffered_queries.pop(query_id, None)
    if state.workflow_task is not None:
        state.workflow_task.queries.pop(query_id, None)
