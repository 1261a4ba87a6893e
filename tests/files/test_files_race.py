"""Media into a basic group: the write finds the sender in the group again, so a removal that
lands between the send's checks and its write refuses the send and stores nothing of it."""

from __future__ import annotations

import os
from typing import Any

import pytest
from files_helpers import upload

from steppe.client import ApiError
from steppe.services.chats import Peer


async def test_media_to_a_group_the_sender_left_meanwhile_is_refused(server: Any) -> None:
    alice, bob = await server.user("Alice"), await server.user("Bob")
    a, b = server.http(alice["token"]), server.http(bob["token"])
    group = await a.call("messages.createChat", title="Club", user_ids=[bob["user"]["id"]])
    peer = {"chat_id": group["id"]}
    first = await upload(server, bob["token"], os.urandom(500), name="first.bin")
    await b.call("messages.sendMedia", peer=peer, media={"type": "document", "file_id": first})
    later = await upload(server, bob["token"], os.urandom(500), name="later.bin")

    store = server.app.services.media.files.store
    real = store.send
    writes: list[int] = []

    async def removed_then_write(*args: Any, **kwargs: Any) -> Any:
        writes.append(1)  # the checks are done: Bob is removed before the write
        await server.app.services.chats.remove_member(alice["user"]["id"],
                                                      Peer(chat_id=group["id"]),
                                                      bob["user"]["id"])
        return await real(*args, **kwargs)

    store.send = removed_then_write
    try:
        with pytest.raises(ApiError) as err:
            await b.call("messages.sendMedia", peer=peer,
                         media={"type": "document", "file_id": later})
    finally:
        store.send = real
    assert (err.value.type, err.value.code) == ("PEER_ID_INVALID", 400)
    assert writes == [1]
    history = await a.call("messages.getHistory", peer=peer, limit=20)
    shown = [m for m in history["messages"] if m.get("media")]
    assert len(shown) == 1  # the first document only: the refused one was not stored
    for h in (a, b):
        await h.close()
