"""RegisterNamespace and the operators' AddSearchAttributes and RemoveSearchAttributes: changes to a
namespace, saved in the store. The namespaces themselves are in `devserver.namespaces`."""

from __future__ import annotations

from devserver.engine import Engine


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
