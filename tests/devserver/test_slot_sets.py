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


@pytest.mark.parametrize("size", [10, 1000])
def test_slots_added_at_once_are_held_as_if_added_one_by_one(size: int) -> None:
    rng = random.Random(size)
    slots = rng.sample(range(4 * size), size)
    one_by_one, at_once = SlotSet(), SlotSet()
    for slot in slots:
        one_by_one.add(slot, 4 * size)
    at_once.add_many(slots, 4 * size)
    at_once.add_many([], 4 * size)
    assert at_once.count == one_by_one.count == size
    assert at_once.as_int() == one_by_one.as_int() == bitmap_of(slots)
    for slot in slots[: size // 2]:
        at_once.remove(slot)
    assert list(Selection(at_once.as_int())) == sorted(slots[size // 2 :])
