"""Typed search attributes, in the shape of the official SDK's ``temporalio.common``.

A :class:`SearchAttributeKey` names an attribute and says its server type; workflows
change attributes with ``workflow.upsert_search_attributes([key.value_set(v)])`` and read
them from ``workflow.info().typed_search_attributes[key]``. On the wire a value is a JSON
payload whose ``type`` metadata names the server type (``Keyword``, ``Int``, ...), as the
official SDKs send it; an unset value is a null payload without that metadata, which is
what makes the server drop the attribute.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any, Generic, NamedTuple, TypeVar, overload

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import common_pb2 as enums_common

__all__ = [
    "SearchAttributeIndexedValueType",
    "SearchAttributeKey",
    "SearchAttributePair",
    "SearchAttributeUpdate",
    "TypedSearchAttributes",
]

IndexedValueType = enums_common.IndexedValueType
ValueT = TypeVar("ValueT")


class SearchAttributeIndexedValueType(IntEnum):
    """How the server indexes a search attribute (the protobuf ``IndexedValueType`` numbers)."""

    TEXT = IndexedValueType.INDEXED_VALUE_TYPE_TEXT
    KEYWORD = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
    INT = IndexedValueType.INDEXED_VALUE_TYPE_INT
    DOUBLE = IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE
    BOOL = IndexedValueType.INDEXED_VALUE_TYPE_BOOL
    DATETIME = IndexedValueType.INDEXED_VALUE_TYPE_DATETIME
    KEYWORD_LIST = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST


# The names servers and SDKs write in a payload's "type" metadata.
_METADATA_TYPE = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}
_BY_METADATA_TYPE = {name: kind for kind, name in _METADATA_TYPE.items()}
_PYTHON_TYPE: dict[SearchAttributeIndexedValueType, type | tuple[type, ...]] = {
    SearchAttributeIndexedValueType.TEXT: str,
    SearchAttributeIndexedValueType.KEYWORD: str,
    SearchAttributeIndexedValueType.INT: int,
    SearchAttributeIndexedValueType.DOUBLE: (float, int),
    SearchAttributeIndexedValueType.BOOL: bool,
    SearchAttributeIndexedValueType.DATETIME: datetime,
    SearchAttributeIndexedValueType.KEYWORD_LIST: (list, tuple),
}


@dataclass(frozen=True)
class SearchAttributeKey(Generic[ValueT]):
    """A search attribute's name and server type; make one with a ``for_*`` method."""

    name: str
    indexed_value_type: SearchAttributeIndexedValueType

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("a search attribute name must be a non-empty string")

    def value_set(self, value: ValueT) -> SearchAttributeUpdate[ValueT]:
        """An update that sets this attribute to ``value``."""
        _check_value(self, value)
        return SearchAttributeUpdate(self, value)

    def value_unset(self) -> SearchAttributeUpdate[ValueT]:
        """An update that removes this attribute."""
        return SearchAttributeUpdate(self, None)

    @staticmethod
    def for_text(name: str) -> SearchAttributeKey[str]:
        """A ``Text`` attribute (full-text indexed string)."""
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.TEXT)

    @staticmethod
    def for_keyword(name: str) -> SearchAttributeKey[str]:
        """A ``Keyword`` attribute (exact-match string)."""
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.KEYWORD)

    @staticmethod
    def for_int(name: str) -> SearchAttributeKey[int]:
        """An ``Int`` attribute."""
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.INT)

    @staticmethod
    def for_float(name: str) -> SearchAttributeKey[float]:
        """A ``Double`` attribute."""
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.DOUBLE)

    @staticmethod
    def for_bool(name: str) -> SearchAttributeKey[bool]:
        """A ``Bool`` attribute."""
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.BOOL)

    @staticmethod
    def for_datetime(name: str) -> SearchAttributeKey[datetime]:
        """A ``Datetime`` attribute; values must carry a timezone."""
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.DATETIME)

    @staticmethod
    def for_keyword_list(name: str) -> SearchAttributeKey[Sequence[str]]:
        """A ``KeywordList`` attribute (a list of exact-match strings)."""
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.KEYWORD_LIST)


@dataclass(frozen=True)
class SearchAttributeUpdate(Generic[ValueT]):
    """One change for ``workflow.upsert_search_attributes``: set ``value``, or unset (None)."""

    key: SearchAttributeKey[ValueT]
    value: ValueT | None


class SearchAttributePair(NamedTuple, Generic[ValueT]):
    """A key and its value in :class:`TypedSearchAttributes`."""

    key: SearchAttributeKey[ValueT]
    value: ValueT


class TypedSearchAttributes(Collection[SearchAttributePair[Any]]):
    """Search attributes read by typed key: ``attrs[key]``, ``attrs.get(key)``, ``key in attrs``."""

    def __init__(self, search_attributes: Sequence[SearchAttributePair[Any]] = ()) -> None:
        names = [pair.key.name for pair in search_attributes]
        if len(set(names)) != len(names):
            raise ValueError(f"search attribute names must be unique, got {names}")
        self.search_attributes: Sequence[SearchAttributePair[Any]] = list(search_attributes)

    def __len__(self) -> int:
        return len(self.search_attributes)

    def __iter__(self) -> Iterator[SearchAttributePair[Any]]:
        return iter(self.search_attributes)

    def __contains__(self, key: object) -> bool:
        name = key.name if isinstance(key, SearchAttributeKey) else key
        return any(pair.key.name == name for pair in self.search_attributes)

    def __getitem__(self, key: SearchAttributeKey[ValueT]) -> ValueT:
        for pair in self.search_attributes:
            if pair.key == key:
                return pair.value  # type: ignore[no-any-return]
        raise KeyError(key.name)

    @overload
    def get(self, key: SearchAttributeKey[ValueT]) -> ValueT | None: ...

    @overload
    def get(self, key: SearchAttributeKey[ValueT], default: Any) -> Any: ...

    def get(self, key: SearchAttributeKey[ValueT], default: Any = None) -> Any:
        """The value of ``key``, or ``default`` when absent (or of another type)."""
        try:
            return self[key]
        except KeyError:
            return default

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TypedSearchAttributes) and sorted(
            self.search_attributes, key=lambda p: p.key.name
        ) == sorted(other.search_attributes, key=lambda p: p.key.name)

    def __repr__(self) -> str:
        return f"TypedSearchAttributes({list(self.search_attributes)!r})"

    __hash__ = None  # type: ignore[assignment]


def _check_value(key: SearchAttributeKey[Any], value: Any) -> None:
    expected = _PYTHON_TYPE[key.indexed_value_type]
    wrong = not isinstance(value, expected) or (
        isinstance(value, bool) and key.indexed_value_type != SearchAttributeIndexedValueType.BOOL
    )
    if key.indexed_value_type == SearchAttributeIndexedValueType.KEYWORD_LIST and not wrong:
        wrong = not all(isinstance(item, str) for item in value)
    if wrong:
        raise TypeError(
            f"search attribute {key.name!r} is {_METADATA_TYPE[key.indexed_value_type]}; "
            f"{value!r} is not a valid value for it"
        )
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError(f"search attribute {key.name!r}: a datetime needs a timezone")


def encode_value(key: SearchAttributeKey[Any], value: Any) -> common.Payload:
    """The payload of one attribute value (None: the null payload that unsets it)."""
    if value is None:
        return common.Payload(metadata={"encoding": b"binary/null"})
    _check_value(key, value)
    plain = value.isoformat() if isinstance(value, datetime) else list(value) if isinstance(value, tuple) else value
    return common.Payload(
        metadata={"encoding": b"json/plain", "type": _METADATA_TYPE[key.indexed_value_type].encode()},
        data=json.dumps(plain, separators=(",", ":")).encode(),
    )


def encode_updates(updates: Sequence[SearchAttributeUpdate[Any]]) -> common.SearchAttributes:
    """The wire form of typed updates.

    Raises:
        TypeError: Not a sequence of ``key.value_set(...)`` / ``key.value_unset()`` updates,
            or a value of the wrong type.
    """
    if isinstance(updates, Mapping) or not isinstance(updates, Sequence):
        raise TypeError("search attribute updates are a list of key.value_set(...) or key.value_unset() updates")
    fields: dict[str, common.Payload] = {}
    for update in updates:
        if not isinstance(update, SearchAttributeUpdate):
            raise TypeError(f"{update!r} is not a search attribute update: use key.value_set(...) or key.value_unset()")
        fields[update.key.name] = encode_value(update.key, update.value)
    return common.SearchAttributes(indexed_fields=fields)


def _decode_payload(payload: common.Payload) -> Any:
    if payload.metadata.get("encoding") != b"json/plain":
        return None
    try:
        return json.loads(payload.data)
    except ValueError:
        return None


def decode_typed(attributes: common.SearchAttributes) -> TypedSearchAttributes:
    """Typed attributes from the wire; values without a known ``type`` are left out, as the
    official SDK leaves them out."""
    pairs: list[SearchAttributePair[Any]] = []
    for name, payload in sorted(attributes.indexed_fields.items()):
        kind = _BY_METADATA_TYPE.get(payload.metadata.get("type", b"").decode(errors="replace"))
        value = _decode_payload(payload)
        if kind is None or value is None:
            continue
        if kind != SearchAttributeIndexedValueType.KEYWORD_LIST and isinstance(value, list):
            if len(value) != 1:
                continue
            value = value[0]
        if kind == SearchAttributeIndexedValueType.DATETIME:
            try:
                value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                continue
        elif kind == SearchAttributeIndexedValueType.DOUBLE and isinstance(value, int):
            value = float(value)
        pairs.append(SearchAttributePair(SearchAttributeKey(name, kind), value))
    return TypedSearchAttributes(pairs)


def decode_untyped(attributes: common.SearchAttributes) -> dict[str, list[Any]]:
    """Attributes as the official SDK's deprecated ``info().search_attributes`` shows them:
    every value a list."""
    decoded: dict[str, list[Any]] = {}
    for name, payload in sorted(attributes.indexed_fields.items()):
        value = _decode_payload(payload)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if payload.metadata.get("type") == b"Datetime":
            values = [datetime.fromisoformat(str(v).replace("Z", "+00:00")) for v in values]
        decoded[name] = values
    return decoded
