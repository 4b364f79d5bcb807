"""Pydantic models as workflow and activity arguments and results (``pip install tempo[pydantic]``).

Give :data:`pydantic_data_converter` to the client (``Client.connect(...,
data_converter=pydantic_data_converter)``); its workers and the Replayer take it from there.
Values are written with pydantic's own JSON serialiser and read back with a
``TypeAdapter`` for the parameter's or return value's type hint, so models, nested models,
lists and dicts of models, dataclasses, datetimes, UUIDs and everything else pydantic
knows come back as they were sent. The bytes on the wire are the ones the official SDK's
``temporalio.contrib.pydantic.pydantic_data_converter`` writes and reads (``json/plain``),
so the two SDKs exchange models both ways. Pydantic v1 is not supported.

Example::

    class Order(pydantic.BaseModel):
        id: str
        placed_at: datetime

    client = await Client.connect("localhost:7233", data_converter=pydantic_data_converter)
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import SchemaSerializer, to_json
from pydantic_core.core_schema import any_schema

from sdk.converter import DataConverter, PayloadDecodeError

__all__ = ["PydanticDataConverter", "pydantic_data_converter"]


_ANY_SERIALIZER = SchemaSerializer(any_schema())


@functools.lru_cache(maxsize=1024)
def _adapter(type_hint: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_hint)


@dataclasses.dataclass(frozen=True)
class PydanticDataConverter(DataConverter):
    """A :class:`~sdk.converter.DataConverter` whose ``json/plain`` payloads go through
    pydantic; ``None``, ``bytes`` and protobuf messages are converted as by the default one.

    Attributes:
        exclude_unset: Leave out model fields that were never set (pydantic's
            ``exclude_unset``), as the official converter's ``ToJsonOptions`` does.
    """

    exclude_unset: bool = False

    def _to_json(self, value: Any) -> bytes:
        try:
            if self.exclude_unset:
                return _ANY_SERIALIZER.to_json(value, exclude_unset=True)
            return to_json(value)
        except Exception as err:  # pydantic_core.PydanticSerializationError is not a TypeError
            raise TypeError(str(err)) from err

    def _from_json(self, data: bytes, type_hint: Any) -> Any:
        try:
            return _adapter(Any if type_hint is None else type_hint).validate_json(data)
        except ValidationError as err:
            raise PayloadDecodeError(f"payload does not fit {type_hint!r}: {err}") from err
        except TypeError as err:  # a hint pydantic cannot build a schema for
            raise PayloadDecodeError(f"cannot decode into {type_hint!r}: {err}") from err


pydantic_data_converter = PydanticDataConverter()
"""The pydantic data converter, with no codec; ``dataclasses.replace(pydantic_data_converter,
payload_codec=...)`` adds one."""
