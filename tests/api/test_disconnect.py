"""A receiving device loses its socket 200 times in the middle of a message stream; after each
reconnect it catches up, and in the end it saw every message exactly once, in order."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from helpers import client, in_step, wait_for

CUTS = 200


async def test_cut_at_random_points_loses_and_repeats_nothing(server, http_pool) -> None:
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    sender = await server.device(alice["token"])
    got: list[dict[str, Any]] = []

    def on_event(ev: dict[str, Any]) -> None:
        if ev["type"] == "new_message":
            got.append(ev)
        assert ev["type"] != "too_long"

    receiver = await server.device(bob["token"], reconnect=True)
    receiver.on_event = on_event
    recovered: list[int] = []  # messages that came through the difference, not live
    plain_call = receiver.call

    async def call(method: str, **params: Any) -> Any:
        result = await plain_call(method, **params)
        if method == "updates.getDifference":
            recovered.extend(len(c.get("events", [])) for c in result["chats"])
        return result

    receiver.call = call  # type: ignore[method-assign]
    peer = {"user_id": bob["user"]["id"]}
    sent: list[dict[str, Any]] = []
    sent.append(await sender.call("messages.sendMessage", peer=peer, text="start", random_id=0))
    await wait_for(lambda: len(got) == 1)
    rng = random.Random(20240601)

    async def burst(n: int) -> None:
        for _ in range(n):
            rid = len(sent) + 1_000_000 * rng.randint(1, 9)
            sent.append(await sender.call("messages.sendMessage", peer=peer,
                                          text=f"m{len(sent)}", random_id=rid))

    for _ in range(CUTS):
        await asyncio.wait_for(receiver.connected.wait(), 10)
        before = receiver.disconnects
        n = rng.randint(1, 6)
        stream = asyncio.get_running_loop().create_task(burst(n))
        # Cut after the receiver saw a random number of this burst's messages (maybe none,
        # maybe all), or while a send is in flight.
        seen = len(got)
        want = rng.randint(0, n)
        await wait_for(lambda k=seen + want, s=stream: len(got) >= k or s.done())
        for _ in range(rng.randint(0, 2)):
            await asyncio.sleep(0)
        receiver.cut()
        await stream
        await wait_for(lambda k=before + 1: receiver.disconnects == k)

    await in_step(receiver, client(http_pool, server, bob["token"]))
    await wait_for(lambda: len(got) == len(sent))
    assert receiver.disconnects == CUTS
    assert sum(recovered) > 0, "no cut ever fell between a send and its delivery"
    assert [e["message"]["id"] for e in got] == [m["id"] for m in sent]
    assert [e["message"]["text"] for e in got] == [m["text"] for m in sent]
    pts = [e["pts"] for e in got]
    assert pts == list(range(pts[0], pts[0] + len(sent)))
    assert len(sent) > CUTS
    await sender.close()
    await receiver.close()


async def test_cut_again_while_catching_up(server, http_pool) -> None:
    """The network also drops while a device is still catching up after a reconnect."""
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    sender = client(http_pool, server, alice["token"])
    got: list[int] = []
    receiver = await server.device(bob["token"], reconnect=True)
    receiver.on_event = lambda ev: got.append(ev["message"]["id"]) if ev["type"] == "new_message" \
        else None
    peer = {"user_id": bob["user"]["id"]}
    sent: list[int] = []
    rng = random.Random(7)
    for _ in range(40):
        await asyncio.wait_for(receiver.connected.wait(), 10)
        old = receiver._ws
        receiver.cut()
        for _ in range(rng.randint(1, 4)):
            sent.append((await sender.call("messages.sendMessage", peer=peer, text="x"))["id"])
        # Cut the new socket as soon as it is open, before the difference has come back.
        await wait_for(lambda old=old: receiver._ws is not old)  # type: ignore[misc]
        for _ in range(rng.randint(0, 3)):
            await asyncio.sleep(0)
        receiver.cut()
    await in_step(receiver, client(http_pool, server, bob["token"]))
    await wait_for(lambda: len(got) >= len(sent))
    assert got == sent
    assert server.app.hub.connections == 1  # one live socket, not one per reconnect attempt
    await receiver.close()
