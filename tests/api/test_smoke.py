from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers import wait_for

from steppe.api.hub import AsgiConnection


async def test_two_users_chat_live(server) -> None:  # type: ignore[no-untyped-def]
    await _chat_live(server)


async def test_the_websocket_through_asgi_on_another_server(tmp_path: Path, server_harness: Any
                                                           ) -> None:
    """Under an ASGI server's own WebSocket (here uvicorn's), the app serves /api/ws itself."""
    start, stop = server_harness
    srv = start(tmp_path, ws="websockets-sansio")
    try:
        def through_asgi() -> None:
            conns = [c for cs in srv.app.hub.by_user.values() for c in cs]
            assert len(conns) == 2 and all(isinstance(c, AsgiConnection) for c in conns)

        await _chat_live(srv, while_open=through_asgi)
    finally:
        stop(srv)


async def _chat_live(server: Any, while_open: Callable[[], None] = lambda: None) -> None:
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
    while_open()
    await a.close()
    await b.close()
