"""RegisterNamespace, UpdateNamespace, the operators' DeleteNamespace, AddSearchAttributes and
RemoveSearchAttributes: changes to a namespace, saved in the store. The namespaces themselves (and
their rules) are in `devserver.namespaces`."""

from __future__ import annotations

from typing import Protocol

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1

from devserver.core import closing
from devserver.engine import Engine
from devserver.errors import FailedPrecondition, InvalidArgument
from devserver.namespaces import Namespace

SYSTEM_NAMESPACE = "temporal-system"


class NamespaceContents(Protocol):
    """What else a namespace holds besides runs (schedules, batch jobs): dropped with it."""

    def forget_namespace(self, namespace: str) -> None: ...


class NamespaceOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def add_search_attributes(self, namespace_name: str, attributes: dict[str, int]) -> None:
        namespace = self.engine.namespaces.get(namespace_name)
        namespace.add_search_attributes(attributes)
        for name, value_type in attributes.items():
            self.engine.visibility.declare_search_attribute(name, value_type)
        await self.engine.store.save_namespace(namespace)

    async def remove_search_attributes(self, namespace_name: str, names: list[str]) -> None:
        namespace = self.engine.namespaces.get(namespace_name)
        namespace.remove_search_attributes(names)
        await self.engine.store.save_namespace(namespace)

    async def register_namespace(
        self, name: str, description: str, owner_email: str, retention: float, data: dict[str, str] | None = None
    ) -> None:
        namespace = self.engine.namespaces.register(name, description, owner_email, retention, data=data)
        await self.engine.store.save_namespace(namespace)

    async def update_namespace(self, request: wsv1.UpdateNamespaceRequest) -> Namespace:
        if not request.namespace:
            raise InvalidArgument("Namespace not set on request.")
        namespace = self.engine.namespaces.get(request.namespace)
        namespace.update(request)
        await self.engine.store.save_namespace(namespace)
        return namespace

    async def delete_namespace(self, name: str, namespace_id: str, contents: list[NamespaceContents]) -> str:
        """Delete a namespace with everything in it: running workflows are terminated, then every
        run, schedule and batch job is gone. Returns the name the real server gives the deleted
        namespace (``<name>-deleted-<first 5 characters of its id>``); the name is free at once."""
        if not name and not namespace_id:
            raise InvalidArgument("Namespace not set on request.")
        namespaces = self.engine.namespaces
        namespace = namespaces.get(name) if name else namespaces.by_id(namespace_id)
        if namespace.name == SYSTEM_NAMESPACE:
            raise FailedPrecondition("unable to delete system namespace")
        for part in contents:
            part.forget_namespace(namespace.name)
        for key in self.engine.runs.keys_in(namespace.name):
            state = self.engine.runs.state(key)
            if state.running:
                await self.engine.change(
                    state, lambda run, ch: closing.terminate(run, ch, "Delete namespace", None, "")
                )
            await self.engine.forget_run(state)
        namespaces.remove(namespace.name)
        await self.engine.store.delete_namespace(namespace.name)
        return f"{namespace.name}-deleted-{namespace.info.id[:5]}"
