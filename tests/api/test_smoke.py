from __future__ import annotations

import asyncio


async def wait_for(cond, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async def poll() -> None:
        while not cond():
            await asyncio.sleep(0.005)
    await asyncio.wait_for(poll(), timeout)


async def test_two_users_chat_live(server) -> None:  # type: ignore[no-untyped-def]
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    a = await server.device(alice["token"])
    b = await server.device(bob["token"])
    msg = await a.call("messages.sendMessage", peer={"user_id": bob["user"]["id"]}, text="hello",
                       random_id=1)
    await wait_for(lambda: any(e["type"] == "new_message" for e in b.events))
    got = [e for e in b.events if e["type"] == "new_message"][0]
    assert got["message"]["text"] == "hello"
    assert got["message"]["id"] == msg["id"]
    again = await a.call("messages.sendMessage", peer={"user_id": bob["user"]["id"]},
                         text="hello", random_id=1)
    assert again == msg
    await a.close()
    await b.close()
