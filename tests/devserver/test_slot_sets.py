"""Visibility's sets of run slots (devserver/slot_sets.py) hold what a Python set would, as
they grow from a few members into a bitmap and shrink again."""

from __future__ import annotations

import random

import pytest

from devserver.slot_sets import Selection, SlotSet, bitmap_of


@pytest.mark.parametrize("seed", range(4))
def test_a_slot_set_holds_what_a_set_would(seed: int) -> None:
    rng = random.Random(seed)
    slots_in_use = 5000
    members = SlotSet()
    expected: set[int] = set()
    for _ in range(4000):
        slot = rng.randrange(slots_in_use)
        if slot in expected and rng.random() < 0.4:
            members.remove(slot)
            expected.discard(slot)
        elif slot not in expected:
            members.add(slot, slots_in_use)
            expected.add(slot)
        assert members.count == len(expected)
    picked = Selection(members.as_int())
    assert list(picked) == sorted(expected)
    assert len(picked) == len(expected)
    assert all((slot in picked) == (slot in expected) for slot in range(slots_in_use + 20))


def test_selections_combine_as_sets_do() -> None:
    types = SlotSet()
    statuses = SlotSet()
    for slot in range(0, 300, 2):
        types.add(slot, 300)
    for slot in range(0, 300, 3):
        statuses.add(slot, 300)
    both = Selection(types.as_int() & statuses.as_int())
    assert list(both) == list(range(0, 300, 6))
    assert len(Selection(types.as_int() | statuses.as_int())) == len(set(range(0, 300, 2)) | set(range(0, 300, 3)))
    assert list(Selection(bitmap_of([9, 1, 70]))) == [1, 9, 70]
    assert list(Selection(0)) == [] and 0 not in Selection(0)
