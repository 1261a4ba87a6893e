"""The hub's per-chat reordering of events that the bus brings out of pts order."""

from __future__ import annotations

import asyncio

import msgspec

from steppe.api.ordering import ChatOrder


def ev(pts: int) -> bytes:
    return msgspec.json.encode({"type": "new_message", "chat_id": 7, "pts": pts})


def order_of(out: list[tuple[int, bytes]]) -> list[int]:
    return [msgspec.json.decode(data)["pts"] for _, data in out]


async def test_an_early_event_waits_for_the_one_before_it() -> None:
    out: list[tuple[int, bytes]] = []
    order = ChatOrder(lambda chat, data: out.append((chat, data)), wait=5)
    for pts in (1, 3, 4, 2, 5):
        order.accept(7, ev(pts))
    assert order_of(out) == [1, 2, 3, 4, 5]
    assert order.held == {} and order.timers == {}


async def test_a_missing_event_is_given_up_on_after_the_wait() -> None:
    out: list[tuple[int, bytes]] = []
    order = ChatOrder(lambda chat, data: out.append((chat, data)), wait=0.01)
    order.accept(7, ev(1))
    order.accept(7, ev(4))
    order.accept(7, ev(3))
    assert order_of(out) == [1]
    for _ in range(200):
        if len(out) == 3:
            break
        await asyncio.sleep(0.005)
    assert order_of(out) == [1, 3, 4]  # devices fetch pts 2 through the difference
    order.accept(7, ev(2))  # late: passed on, devices skip or apply it
    order.accept(7, ev(5))
    assert order_of(out) == [1, 3, 4, 2, 5]


async def test_chats_are_independent() -> None:
    out: list[tuple[int, bytes]] = []
    order = ChatOrder(lambda chat, data: out.append((chat, data)), wait=5)
    order.accept(1, ev(10))
    order.accept(2, ev(3))
    order.accept(1, ev(12))
    order.accept(2, ev(4))
    assert [chat for chat, _ in out] == [1, 2, 2]
    order.accept(1, ev(11))
    assert order_of(out)[-2:] == [11, 12]
    for timer in order.timers.values():
        timer.cancel()
