"""Sets of small ints (slot numbers) kept cheaply: a set while they are few, a bitmap once many.

Visibility gives each run a slot number and keeps, per workflow type, task queue and status,
the slots of the runs that have it. A Python set costs 30 to 100 bytes a member; a bitmap
costs one bit per slot in use, whatever its members, so a value most runs share (one type,
one queue, 'Completed') costs next to nothing, and a value few runs have stays a small set.
Set operations (intersection, union, counting) are done on whole bitmaps as Python ints, so
they run in C however many runs there are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# A set becomes a bitmap once it has this many members and its members would cost more as a
# set (about 32 bytes each) than as a bitmap of every slot (a byte for eight).
_BITMAP_FROM = 64
_NONZERO = re.compile(rb"[^\x00]")


class SlotSet:
    """The slots of the runs that share one value of a field."""

    __slots__ = ("_bits", "_few", "count")

    def __init__(self) -> None:
        self.count = 0
        self._few: set[int] | None = set()
        self._bits = bytearray()

    def add(self, slot: int, slots_in_use: int) -> None:
        """Add a slot that is not a member (``slots_in_use``: how many slots there are)."""
        self.count += 1
        few = self._few
        if few is None:
            _set_bit(self._bits, slot)
            return
        few.add(slot)
        if len(few) >= _BITMAP_FROM and len(few) * 32 > slots_in_use // 8:
            for member in few:
                _set_bit(self._bits, member)
            self._few = None

    def add_many(self, slots: list[int], slots_in_use: int) -> None:
        """`add` each of many slots, none of them a member."""
        if not slots:
            return
        self.count += len(slots)
        few = self._few
        if few is not None:
            few.update(slots)
            if len(few) < _BITMAP_FROM or len(few) * 32 <= slots_in_use // 8:
                return
            slots, self._few = list(few), None
        bits = self._bits
        top = max(slots) >> 3
        if top >= len(bits):
            bits.extend(bytes(top + 1 - len(bits)))
        for slot in slots:
            bits[slot >> 3] |= 1 << (slot & 7)

    def remove(self, slot: int) -> None:
        """Remove a slot that is a member."""
        self.count -= 1
        if self._few is not None:
            self._few.discard(slot)
        else:
            self._bits[slot >> 3] &= ~(1 << (slot & 7)) & 0xFF

    def as_int(self) -> int:
        """The members as one int, bit ``slot`` set for each."""
        if self._few is None:
            return int.from_bytes(self._bits, "little")
        return bitmap_of(self._few)


def bitmap_of(slots: Iterable[int]) -> int:
    """One int with bit ``slot`` set for each of ``slots``."""
    bits = bytearray()
    for slot in slots:
        _set_bit(bits, slot)
    return int.from_bytes(bits, "little")


class Selection:
    """Slots picked by a query, as a bitmap: counted, walked or asked about one slot."""

    __slots__ = ("_bytes", "bits")

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self._bytes = bits.to_bytes((bits.bit_length() + 7) // 8, "little")

    def __len__(self) -> int:
        return self.bits.bit_count()

    def __contains__(self, slot: int) -> bool:
        at = slot >> 3
        data = self._bytes
        return at < len(data) and (data[at] >> (slot & 7)) & 1 == 1

    def __iter__(self) -> Iterator[int]:
        """The slots, lowest first."""
        for found in _NONZERO.finditer(self._bytes):
            at = found.start()
            byte = self._bytes[at]
            for bit in range(8):
                if byte >> bit & 1:
                    yield at * 8 + bit


def _set_bit(bits: bytearray, slot: int) -> None:
    at = slot >> 3
    if at >= len(bits):
        bits.extend(bytes(at + 1 - len(bits) + len(bits) // 8))  # grown with room: slots come in order
    bits[at] |= 1 << (slot & 7)
