"""Messages over the real API: entities, replies, forwards, edits, deletes, pins, history, read
marks and idempotent sends."""

from __future__ import annotations

from typing import Any

from helpers import client, events_of, raises, wait_for

from steppe.client import Http


async def _pair(server: Any, pool: list[Http]) -> tuple[dict[str, Any], dict[str, Any], Http, Http]:
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    return alice, bob, client(pool, server, alice["token"]), client(pool, server, bob["token"])


async def test_entities_count_utf16_units(server, http_pool) -> None:
    alice, bob, a, _ = await _pair(server, http_pool)
    peer = {"user_id": bob["user"]["id"]}
    text = "👍 bold and 𝕏 code"
    # "👍" and "𝕏" are two UTF-16 units each.
    ents = [{"type": "bold", "offset": 3, "length": 4},
            {"type": "code", "offset": 15, "length": 4},
            {"type": "italic", "offset": 12, "length": 2},
            {"type": "text_link", "offset": 0, "length": 2, "url": "https://example.com"}]
    sent = await a.call("messages.sendMessage", peer=peer, text=text, entities=ents)
    assert sent["entities"] == sorted(ents, key=lambda e: (e["offset"], -e["length"]))
    stored = (await a.call("messages.getMessages", peer=peer, ids=[sent["id"]]))[0]
    assert stored["entities"] == sent["entities"] and stored["text"] == text

    for bad in ({"type": "bold", "offset": 1, "length": 2},    # splits the surrogate pair
                {"type": "bold", "offset": 0, "length": 20},   # one unit past the end
                {"type": "bold", "offset": 12, "length": 1},   # half of "𝕏"
                {"type": "bold", "offset": -1, "length": 2},
                {"type": "bold", "offset": 3, "length": 0}):
        await raises(a.call("messages.sendMessage", peer=peer, text=text, entities=[bad]),
                     "ENTITY_BOUNDS_INVALID")
    crossing = [{"type": "bold", "offset": 0, "length": 7},
                {"type": "italic", "offset": 3, "length": 8}]
    await raises(a.call("messages.sendMessage", peer=peer, text=text, entities=crossing),
                 "ENTITY_BOUNDS_INVALID")
    await raises(a.call("messages.sendMessage", peer=peer, text=text,
                        entities=[{"type": "blink", "offset": 0, "length": 2}]),
                 "ENTITY_TYPE_INVALID")
    await raises(a.call("messages.sendMessage", peer=peer, text=text,
                        entities=[{"type": "text_link", "offset": 0, "length": 2,
                                   "url": "javascript:alert(1)"}]), "ENTITY_URL_INVALID")
    history = await a.call("messages.getHistory", peer=peer)
    assert [m["id"] for m in history["messages"]] == [sent["id"]]


async def test_replies(server, http_pool) -> None:
    alice, bob, a, b = await _pair(server, http_pool)
    peer = {"user_id": bob["user"]["id"]}
    first = await a.call("messages.sendMessage", peer=peer, text="question?")
    reply = await b.call("messages.sendMessage", peer={"user_id": alice["user"]["id"]},
                         text="answer", reply_to=first["id"])
    assert reply["reply_to"] == first["id"]
    await raises(b.call("messages.sendMessage", peer={"user_id": alice["user"]["id"]},
                        text="?", reply_to=first["id"] + 100), "REPLY_MESSAGE_INVALID")
    # A message of another chat is no reply target either.
    carol = await server.user("Carol")
    other = await b.call("messages.sendMessage", peer={"user_id": carol["user"]["id"]}, text="x")
    assert other["id"] == 1
    await raises(a.call("messages.sendMessage", peer=peer, text="?", reply_to=other["id"] + 5),
                 "REPLY_MESSAGE_INVALID")
    await a.call("messages.deleteMessages", peer=peer, ids=[first["id"]])
    await raises(a.call("messages.sendMessage", peer=peer, text="?", reply_to=first["id"]),
                 "REPLY_MESSAGE_INVALID")


async def test_forwards_keep_their_origin(server, http_pool) -> None:
    alice, bob, a, b = await _pair(server, http_pool)
    carol = await server.user("Carol")
    c = client(http_pool, server, carol["token"])
    dm = await a.call("messages.sendMessage", peer={"user_id": bob["user"]["id"]}, text="secret",
                      entities=[{"type": "bold", "offset": 0, "length": 6}])
    group = await b.call("messages.createChat", title="G", user_ids=[carol["user"]["id"]])
    fwd = await b.call("messages.forwardMessages", from_peer={"user_id": alice["user"]["id"]},
                       ids=[dm["id"]], to_peer={"chat_id": group["id"]})
    assert len(fwd) == 1
    assert fwd[0]["sender_id"] == bob["user"]["id"] and fwd[0]["text"] == "secret"
    assert fwd[0]["entities"] == dm["entities"]
    assert fwd[0]["fwd_from"] == {"from_user_id": alice["user"]["id"], "date": dm["date"]}

    # Forwarding the forward keeps the first origin; from a group it names the chat and message.
    again = await c.call("messages.forwardMessages", from_peer={"chat_id": group["id"]},
                         ids=[fwd[0]["id"]], to_peer={"user_id": alice["user"]["id"]})
    assert again[0]["fwd_from"] == fwd[0]["fwd_from"]
    own = await c.call("messages.sendMessage", peer={"chat_id": group["id"]}, text="mine")
    out = await c.call("messages.forwardMessages", from_peer={"chat_id": group["id"]},
                       ids=[own["id"]], to_peer={"user_id": carol["user"]["id"]})
    assert out[0]["fwd_from"] == {"from_user_id": carol["user"]["id"], "date": own["date"],
                                  "from_chat_id": group["id"], "from_msg_id": own["id"]}
    # Service messages, unknown ids and chats one is not in are refused.
    await raises(b.call("messages.forwardMessages", from_peer={"chat_id": group["id"]}, ids=[1],
                        to_peer={"user_id": alice["user"]["id"]}), "MESSAGE_ID_INVALID")
    await raises(b.call("messages.forwardMessages", from_peer={"chat_id": group["id"]},
                        ids=[99], to_peer={"user_id": alice["user"]["id"]}), "MESSAGE_ID_INVALID")
    await raises(a.call("messages.forwardMessages", from_peer={"chat_id": group["id"]},
                        ids=[own["id"]], to_peer={"user_id": bob["user"]["id"]}),
                 "PEER_ID_INVALID")
    # A retried forward with the same random ids returns what was already sent.
    peer = {"user_id": alice["user"]["id"]}
    r1 = await b.call("messages.forwardMessages", from_peer=peer, ids=[dm["id"]],
                      to_peer={"chat_id": group["id"]}, random_ids=[77])
    r2 = await b.call("messages.forwardMessages", from_peer=peer, ids=[dm["id"]],
                      to_peer={"chat_id": group["id"]}, random_ids=[77])
    assert r1 == r2


async def test_edit_rules_and_window(clocked_server, http_pool) -> None:
    server, clock = clocked_server
    alice, bob, a, b = await _pair(server, http_pool)
    peer = {"user_id": bob["user"]["id"]}
    dev = await server.device(bob["token"])
    msg = await a.call("messages.sendMessage", peer=peer, text="helo")
    clock.advance(60)
    edited = await a.call("messages.editMessage", peer=peer, id=msg["id"], text="hello",
                          entities=[{"type": "italic", "offset": 0, "length": 5}])
    assert edited["edit_date"] == clock.now() and edited["date"] == msg["date"]
    assert edited["text"] == "hello" and edited["entities"][0]["type"] == "italic"
    await wait_for(lambda: len(events_of(dev, "edit_message")) == 1)
    assert events_of(dev, "edit_message")[0]["message"] == edited
    assert (await b.call("messages.getMessages", peer={"user_id": alice["user"]["id"]},
                         ids=[msg["id"]]))[0] == edited

    await raises(a.call("messages.editMessage", peer=peer, id=msg["id"], text="hello",
                        entities=[{"type": "italic", "offset": 0, "length": 5}]),
                 "MESSAGE_NOT_MODIFIED")
    await raises(b.call("messages.editMessage", peer={"user_id": alice["user"]["id"]},
                        id=msg["id"], text="hacked"), "MESSAGE_AUTHOR_REQUIRED", 403)
    await raises(a.call("messages.editMessage", peer=peer, id=msg["id"], text=" "),
                 "MESSAGE_EMPTY")
    await raises(a.call("messages.editMessage", peer=peer, id=msg["id"] + 1, text="x"),
                 "MESSAGE_ID_INVALID")
    clock.advance(48 * 3600 - 60)
    await a.call("messages.editMessage", peer=peer, id=msg["id"], text="just in time")
    clock.advance(1)
    await raises(a.call("messages.editMessage", peer=peer, id=msg["id"], text="too late"),
                 "MESSAGE_EDIT_TIME_EXPIRED")
    # Saved Messages have no window.
    note = await a.call("messages.sendMessage", peer={"user_id": alice["user"]["id"]}, text="n")
    clock.advance(49 * 3600)
    await a.call("messages.editMessage", peer={"user_id": alice["user"]["id"]}, id=note["id"],
                 text="still mine")
    await dev.close()


async def test_delete_for_me_and_for_everyone(server, http_pool) -> None:
    alice, bob, a, b = await _pair(server, http_pool)
    peer_a, peer_b = {"user_id": bob["user"]["id"]}, {"user_id": alice["user"]["id"]}
    dev = await server.device(bob["token"])
    m1 = await a.call("messages.sendMessage", peer=peer_a, text="one")
    m2 = await a.call("messages.sendMessage", peer=peer_a, text="two")
    m3 = await b.call("messages.sendMessage", peer=peer_b, text="three")

    assert await a.call("messages.deleteMessages", peer=peer_a, ids=[m3["id"]],
                        revoke=False) == [m3["id"]]
    a_ids = [m["id"] for m in (await a.call("messages.getHistory", peer=peer_a))["messages"]]
    b_ids = [m["id"] for m in (await b.call("messages.getHistory", peer=peer_b))["messages"]]
    assert a_ids == [m2["id"], m1["id"]] and b_ids == [m3["id"], m2["id"], m1["id"]]
    # Gone for Alice by id too, and so not hers to forward; Bob still has it.
    assert await a.call("messages.getMessages", peer=peer_a, ids=[m3["id"], m2["id"]]) == [m2]
    assert await b.call("messages.getMessages", peer=peer_b, ids=[m3["id"]]) == [m3]
    await raises(a.call("messages.forwardMessages", from_peer=peer_a, ids=[m3["id"]],
                        to_peer={"user_id": alice["user"]["id"]}), "MESSAGE_ID_INVALID")
    dialog = (await a.call("messages.getChat", peer=peer_a))["dialog"]
    assert dialog["top_message"]["id"] == m2["id"] and dialog.get("unread_count", 0) == 0

    assert await a.call("messages.deleteMessages", peer=peer_a, ids=[m1["id"], 999]) == [m1["id"]]
    await wait_for(lambda: len(events_of(dev, "delete_messages")) == 1)
    assert events_of(dev, "delete_messages")[0]["ids"] == [m1["id"]]
    b_ids = [m["id"] for m in (await b.call("messages.getHistory", peer=peer_b))["messages"]]
    assert b_ids == [m3["id"], m2["id"]]
    assert await b.call("messages.getMessages", peer=peer_b, ids=[m1["id"]]) == []
    # Deleting again is a no-op and makes no event.
    assert await a.call("messages.deleteMessages", peer=peer_a, ids=[m1["id"]]) == []
    await raises(a.call("messages.editMessage", peer=peer_a, id=m1["id"], text="back"),
                 "MESSAGE_ID_INVALID")
    await b.call("messages.sendMessage", peer=peer_b, text="sync")
    await wait_for(lambda: len(events_of(dev, "new_message")) == 4)
    assert len(events_of(dev, "delete_messages")) == 1

    # In a group only the author (or an admin) deletes for everyone.
    carol = await server.user("Carol")
    group = await a.call("messages.createChat", title="G",
                         user_ids=[bob["user"]["id"], carol["user"]["id"]])
    gm = await a.call("messages.sendMessage", peer={"chat_id": group["id"]}, text="mine")
    c = client(http_pool, server, carol["token"])
    await raises(c.call("messages.deleteMessages", peer={"chat_id": group["id"]}, ids=[gm["id"]]),
                 "MESSAGE_DELETE_FORBIDDEN", 403)
    assert await c.call("messages.deleteMessages", peer={"chat_id": group["id"]}, ids=[gm["id"]],
                        revoke=False) == [gm["id"]]
    assert gm["id"] in [m["id"] for m in (await b.call(
        "messages.getHistory", peer={"chat_id": group["id"]}))["messages"]]
    await dev.close()


async def test_pin_and_unpin(server, http_pool) -> None:
    alice, bob, a, b = await _pair(server, http_pool)
    peer = {"user_id": bob["user"]["id"]}
    dev = await server.device(bob["token"])
    msg = await a.call("messages.sendMessage", peer=peer, text="pin me")
    assert await b.call("messages.updatePinnedMessage", peer={"user_id": alice["user"]["id"]},
                        id=msg["id"]) is True
    await wait_for(lambda: len(events_of(dev, "pin_message")) == 1)
    assert events_of(dev, "pin_message")[0]["pinned"] is True
    assert (await a.call("messages.getMessages", peer=peer, ids=[msg["id"]]))[0]["pinned"] is True
    await a.call("messages.updatePinnedMessage", peer=peer, id=msg["id"], unpin=True)
    await wait_for(lambda: len(events_of(dev, "pin_message")) == 2)
    assert events_of(dev, "pin_message")[1]["pinned"] is False
    got = (await a.call("messages.getMessages", peer=peer, ids=[msg["id"]]))[0]
    assert got.get("pinned", False) is False
    await raises(a.call("messages.updatePinnedMessage", peer=peer, id=msg["id"] + 1),
                 "MESSAGE_ID_INVALID")
    group = await a.call("messages.createChat", title="G", user_ids=[bob["user"]["id"]])
    await raises(a.call("messages.updatePinnedMessage", peer={"chat_id": group["id"]}, id=1),
                 "MESSAGE_ID_INVALID")
    await dev.close()


async def test_history_pages_both_ways(server, http_pool) -> None:
    alice, bob, a, _ = await _pair(server, http_pool)
    peer = {"user_id": bob["user"]["id"]}
    ids = [(await a.call("messages.sendMessage", peer=peer, text=f"m{i}"))["id"] for i in range(10)]
    assert ids == list(range(1, 11))

    async def page(**kw: Any) -> list[int]:
        got = await a.call("messages.getHistory", peer=peer, **kw)
        assert [u["id"] for u in got["users"]] == ([alice["user"]["id"]] if got["messages"] else [])
        return [m["id"] for m in got["messages"]]

    assert await page(limit=3) == [10, 9, 8]
    assert await page(offset_id=8, limit=3) == [7, 6, 5]
    assert await page(offset_id=2, limit=3) == [1]
    assert await page(offset_id=1, limit=3) == []
    assert await page(offset_id=3, direction="newer", limit=3) == [6, 5, 4]
    assert await page(offset_id=8, direction="newer", limit=3) == [10, 9]
    assert await page(offset_id=0, direction="newer", limit=2) == [2, 1]
    assert await page(offset_id=10, direction="newer") == []
    assert await page(offset_id=5, direction="around", limit=4) == [6, 5, 4, 3]
    assert await page(offset_id=10, direction="around", limit=4) == [10, 9, 8, 7]
    assert await page(offset_id=1, direction="around", limit=4) == [2, 1]
    assert await page(limit=0) == [10]  # a limit is clamped to 1..100
    assert len(await page(limit=1000)) == 10
    # Walking older pages covers everything once.
    seen: list[int] = []
    offset = 0
    while batch := await page(offset_id=offset, limit=4):
        seen += batch
        offset = batch[-1]
    assert seen == ids[::-1]


async def test_read_marks(server, http_pool) -> None:
    alice, bob, a, b = await _pair(server, http_pool)
    peer_a, peer_b = {"user_id": bob["user"]["id"]}, {"user_id": alice["user"]["id"]}
    dev_a = await server.device(alice["token"])
    ids = [(await a.call("messages.sendMessage", peer=peer_a, text=f"m{i}"))["id"] for i in range(3)]
    assert (await b.call("messages.getChat", peer=peer_b))["dialog"]["unread_count"] == 3
    assert await b.call("messages.readHistory", peer=peer_b, max_id=ids[1]) == ids[1]
    await wait_for(lambda: len(events_of(dev_a, "read_history")) == 1)
    ev = events_of(dev_a, "read_history")[0]
    assert (ev["user_id"], ev["max_id"]) == (bob["user"]["id"], ids[1])
    assert (await a.call("messages.getChat", peer=peer_a))["dialog"]["read_outbox_max_id"] == ids[1]
    b_dialog = (await b.call("messages.getChat", peer=peer_b))["dialog"]
    assert (b_dialog["unread_count"], b_dialog["read_inbox_max_id"]) == (1, ids[1])
    # Reading backwards changes nothing; 0 reads everything; past the end is clamped.
    assert await b.call("messages.readHistory", peer=peer_b, max_id=ids[0]) == ids[0]
    assert await b.call("messages.readHistory", peer=peer_b, max_id=10**6) == ids[2]
    await wait_for(lambda: len(events_of(dev_a, "read_history")) == 2)
    assert (await a.call("messages.getChat", peer=peer_a))["dialog"]["read_outbox_max_id"] == ids[2]
    b_dialog = (await b.call("messages.getChat", peer=peer_b))["dialog"]
    assert b_dialog.get("unread_count", 0) == 0 and b_dialog["read_inbox_max_id"] == ids[2]
    await raises(b.call("messages.readHistory", peer=peer_b, max_id=-1), "MESSAGE_ID_INVALID")
    await dev_a.close()


async def test_unread_counts_agree_across_devices(server, http_pool) -> None:
    alice, bob, a, _ = await _pair(server, http_pool)
    second = await server.user(phone=bob["user"]["phone"])
    d1 = await server.device(bob["token"])
    d2 = await server.device(second["token"])
    peer = {"user_id": alice["user"]["id"]}
    for i in range(4):
        await a.call("messages.sendMessage", peer={"user_id": bob["user"]["id"]}, text=f"m{i}")
    await wait_for(lambda: len(events_of(d1, "new_message")) == len(events_of(d2, "new_message"))
                   == 4)

    async def unread(dev: Any) -> int:
        return (await dev.call("messages.getDialogs"))["dialogs"][0].get("unread_count", 0)

    assert await unread(d1) == await unread(d2) == 4
    await d1.call("messages.readHistory", peer=peer, max_id=2)
    await wait_for(lambda: len(events_of(d2, "read_history")) == 1)
    assert events_of(d2, "read_history")[0]["user_id"] == bob["user"]["id"]
    assert await unread(d1) == await unread(d2) == 2
    await d2.call("messages.readHistory", peer=peer)
    await wait_for(lambda: len(events_of(d1, "read_history")) == 2)
    assert await unread(d1) == await unread(d2) == 0
    await d1.close()
    await d2.close()


async def test_send_is_idempotent_with_random_id(server, http_pool) -> None:
    alice, bob, a, b = await _pair(server, http_pool)
    dev = await server.device(bob["token"])
    peer = {"user_id": bob["user"]["id"]}
    first = await a.call("messages.sendMessage", peer=peer, text="once", random_id=42)
    again = await a.call("messages.sendMessage", peer=peer, text="once", random_id=42)
    assert again == first
    # Another sender may use the same random id.
    theirs = await b.call("messages.sendMessage", peer={"user_id": alice["user"]["id"]},
                          text="mine", random_id=42)
    assert theirs["id"] == first["id"] + 1
    await wait_for(lambda: len(events_of(dev, "new_message")) == 2)
    assert [e["message"]["text"] for e in events_of(dev, "new_message")] == ["once", "mine"]
    history = await a.call("messages.getHistory", peer=peer)
    assert [m["text"] for m in history["messages"]] == ["mine", "once"]
    # Concurrent retries of one send still make one message.
    import asyncio
    results = await asyncio.gather(*(a.call("messages.sendMessage", peer=peer, text="burst",
                                            random_id=7) for _ in range(5)))
    assert len({r["id"] for r in results}) == 1
    history = await a.call("messages.getHistory", peer=peer)
    assert [m["text"] for m in history["messages"]] == ["burst", "mine", "once"]
    await dev.close()


def _fast_path_knows(server: Any, chat_id: int) -> bool:
    """The server has seen the chat as a basic one: its next plain send takes the fast path
    (membership checked inside the write rather than read before it)."""
    return server.app.services.chats.hints.kinds.get(chat_id) in ("private", "group")


async def test_a_removed_member_cannot_send_even_right_after_sending(server, http_pool) -> None:
    alice, bob, a, b = await _pair(server, http_pool)
    carol = await server.user("Carol")
    c = client(http_pool, server, carol["token"])
    group = (await a.call("messages.createChat", title="G",
                          user_ids=[bob["user"]["id"], carol["user"]["id"]]))["id"]
    peer = {"chat_id": group}
    first = await b.call("messages.sendMessage", peer=peer, text="one", random_id=1)
    assert _fast_path_knows(server, group)
    second = await b.call("messages.sendMessage", peer=peer, text="two", random_id=2)
    assert second["id"] == first["id"] + 1

    # Removed by the creator: refused at once, the chat as unknown as any other.
    await a.call("messages.deleteChatUser", peer=peer, user_id=bob["user"]["id"])
    assert _fast_path_knows(server, group)
    await raises(b.call("messages.sendMessage", peer=peer, text="three", random_id=3),
                 "PEER_ID_INVALID")
    await raises(b.call("messages.sendMessage", peer=peer, text="three"), "PEER_ID_INVALID")
    # A retry of a send that was stored still answers with the stored message.
    assert await b.call("messages.sendMessage", peer=peer, text="two", random_id=2) == second
    # Carol, who left by herself, neither.
    await c.call("messages.sendMessage", peer=peer, text="bye")
    await c.call("messages.leaveChat", peer=peer)
    await raises(c.call("messages.sendMessage", peer=peer, text="back?"), "PEER_ID_INVALID")

    texts = [m["text"] for m in (await a.call("messages.getHistory", peer=peer))["messages"]
             if m.get("text")]
    assert texts == ["bye", "two", "one"]
    pts_before = (await a.call("updates.getState"))["chats"][str(group)]

    # Added again, Bob sends again; nothing of the refused sends took a pts.
    await a.call("messages.addChatUser", peer=peer, user_ids=[bob["user"]["id"]])
    third = await b.call("messages.sendMessage", peer=peer, text="three", random_id=3)
    # between them: Bob removed, Carol's "bye", Carol left, Bob added
    assert third["id"] == second["id"] + 5
    state = await a.call("updates.getState")
    assert state["chats"][str(group)] == pts_before + 2  # the add, and Bob's message


async def test_a_repeated_random_id_returns_the_original_and_takes_no_pts(server, http_pool
                                                                        ) -> None:
    alice, bob, a, b = await _pair(server, http_pool)
    dev = await server.device(alice["token"])
    group = (await a.call("messages.createChat", title="G", user_ids=[bob["user"]["id"]]))["id"]
    peer = {"chat_id": group}
    await b.call("messages.sendMessage", peer=peer, text="warm up")
    assert _fast_path_knows(server, group)
    first = await b.call("messages.sendMessage", peer=peer, text="once", random_id=5)
    pts = (await b.call("updates.getState"))["chats"][str(group)]
    # The retry says something else, or names another chat: the stored message all the same.
    assert await b.call("messages.sendMessage", peer=peer, text="twice", random_id=5) == first
    assert await b.call("messages.sendMessage", peer={"user_id": alice["user"]["id"]},
                        text="elsewhere", random_id=5) == first
    assert (await b.call("updates.getState"))["chats"][str(group)] == pts
    history = await a.call("messages.getHistory", peer=peer)
    assert [m.get("text") for m in history["messages"]][:2] == ["once", "warm up"]
    await wait_for(lambda: len(events_of(dev, "new_message")) == 3)  # chat_create, warm up, once
    after = await b.call("messages.sendMessage", peer=peer, text="next", random_id=6)
    assert after["id"] == first["id"] + 1
    await wait_for(lambda: len(events_of(dev, "new_message")) == 4)
    assert [e["message"].get("text") for e in events_of(dev, "new_message")][1:] == [
        "warm up", "once", "next"]
    await dev.close()


async def test_a_group_moved_to_a_supergroup_takes_no_more_messages(server, http_pool) -> None:
    alice, bob, a, b = await _pair(server, http_pool)
    group = (await a.call("messages.createChat", title="G", user_ids=[bob["user"]["id"]]))["id"]
    await b.call("messages.sendMessage", peer={"chat_id": group}, text="hi")
    assert _fast_path_knows(server, group)
    moved = await a.call("messages.migrateChat", peer={"chat_id": group})
    await raises(b.call("messages.sendMessage", peer={"chat_id": group}, text="old"),
                 "PEER_ID_INVALID")
    sent = await b.call("messages.sendMessage", peer={"chat_id": moved["id"]}, text="new")
    assert sent["chat_id"] == moved["id"]
    # A member the supergroup mutes is refused from the very next send on.
    await a.call("channels.editBanned", peer={"chat_id": moved["id"]}, user_id=bob["user"]["id"],
                 banned_rights={"send_messages": True})
    await raises(b.call("messages.sendMessage", peer={"chat_id": moved["id"]}, text="muted"),
                 "CHAT_WRITE_FORBIDDEN", 403)


def test_send_hints_are_bounded_and_name_only_basic_chats() -> None:
    from steppe.services.chats import Hints, Peer

    hints = Hints(most=3)
    hints.kind(10, "group")
    hints.kind(11, "supergroup")
    hints.private(5, 4, 12)  # the private chat of users 4 and 5, either way round
    assert hints.basic_chat_id(4, Peer(user_id=5)) == hints.basic_chat_id(5, Peer(user_id=4)) == 12
    assert hints.basic_chat_id(1, Peer(chat_id=10)) == 10
    assert hints.basic_chat_id(1, Peer(chat_id=11)) is None  # its own rules: the full path
    assert hints.basic_chat_id(1, Peer(chat_id=99)) is None  # never seen
    assert hints.basic_chat_id(4, Peer(chat_id=12, user_id=5)) is None  # not a valid peer
    assert hints.basic_chat_id(4, Peer()) is None
    hints.kind(13, "group")  # the oldest goes
    assert list(hints.kinds) == [11, 12, 13] and hints.basic_chat_id(1, Peer(chat_id=10)) is None
