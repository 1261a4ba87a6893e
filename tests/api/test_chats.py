"""Chats over the real API: private chats, Saved Messages, basic groups and the dialog list."""

from __future__ import annotations

from typing import Any

from helpers import client, events_of, make_users, raises, wait_for


def _actions(history: dict[str, Any]) -> list[tuple[str, Any]]:
    out = []
    for m in reversed(history["messages"]):
        a = m.get("action")
        if a:
            out.append((a["type"], a.get("title") or a.get("user_ids")))
    return out


async def test_private_chat_and_saved_messages(server, http_pool) -> None:
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    a = client(http_pool, server, alice["token"])
    b = client(http_pool, server, bob["token"])
    me, bob_id = alice["user"]["id"], bob["user"]["id"]

    sent = await a.call("messages.sendMessage", peer={"user_id": bob_id}, text="hi Bob")
    chat_id = sent["chat_id"]
    # Both sides name the chat by the other user or by its id.
    for api, peer in ((a, bob_id), (b, me)):
        got = await api.call("messages.getChat", peer={"user_id": peer})
        assert got["dialog"]["chat"]["id"] == chat_id
        assert got["dialog"]["chat"]["kind"] == "private"
        assert got["dialog"]["peer_user_id"] == peer
        assert sorted(m["user_id"] for m in got["members"]) == sorted([me, bob_id])
    again = await b.call("messages.sendMessage", peer={"chat_id": chat_id}, text="hi Alice")
    assert again["chat_id"] == chat_id and again["id"] == sent["id"] + 1

    saved = await a.call("messages.sendMessage", peer={"user_id": me}, text="note to self")
    assert saved["chat_id"] != chat_id
    got = await a.call("messages.getChat", peer={"user_id": me})
    assert got["dialog"]["peer_user_id"] == me
    assert got["dialog"]["chat"]["user_ids"] == [me]
    assert [m["user_id"] for m in got["members"]] == [me]
    assert got["dialog"].get("unread_count", 0) == 0
    await raises(b.call("messages.getHistory", peer={"chat_id": saved["chat_id"]}),
                 "PEER_ID_INVALID")
    dialogs = await a.call("messages.getDialogs")
    assert [d["chat"]["id"] for d in dialogs["dialogs"]] == [saved["chat_id"], chat_id]
    assert sorted(u["id"] for u in dialogs["users"]) == sorted([me, bob_id])
    await raises(a.call("messages.sendMessage", peer={"user_id": 10**9}, text="x"),
                 "PEER_ID_INVALID")
    await raises(a.call("messages.sendMessage", peer={"user_id": bob_id, "chat_id": chat_id},
                        text="x"), "PEER_ID_INVALID")
    await raises(a.call("messages.sendMessage", peer={}, text="x"), "PEER_ID_INVALID")


async def test_basic_group_lifecycle(server, http_pool) -> None:
    users = [await server.user(n) for n in ("Alice", "Bob", "Carol", "Dan", "Eve")]
    ids = [u["user"]["id"] for u in users]
    apis = [client(http_pool, server, u["token"]) for u in users]
    alice, bob, carol, dan, eve = apis
    devs = [await server.device(u["token"]) for u in users]

    chat = await alice.call("messages.createChat", title=" Team ", user_ids=[ids[1], ids[2],
                                                                              ids[1], ids[0]])
    peer = {"chat_id": chat["id"]}
    assert (chat["kind"], chat["title"], chat["member_count"]) == ("group", "Team", 3)
    await wait_for(lambda: all(chat["id"] in d.pts for d in devs[:3]))
    assert chat["id"] not in devs[3].pts
    got = await bob.call("messages.getChat", peer=peer)
    roles = {m["user_id"]: (m["role"], m["inviter_id"]) for m in got["members"]}
    assert roles == {ids[0]: ("creator", ids[0]), ids[1]: ("member", ids[0]),
                     ids[2]: ("member", ids[0])}

    await bob.call("messages.addChatUser", peer=peer, user_ids=[ids[3]])
    await raises(bob.call("messages.addChatUser", peer=peer, user_ids=[ids[3]]),
                 "USER_ALREADY_PARTICIPANT")
    await raises(bob.call("messages.addChatUser", peer=peer, user_ids=[10**9]), "USER_ID_INVALID")
    await raises(bob.call("messages.addChatUser", peer=peer, user_ids=[]), "USER_ID_INVALID")
    await wait_for(lambda: chat["id"] in devs[3].pts)
    # Bob may remove whom he invited, not whom Alice did, and nobody removes the creator.
    await raises(bob.call("messages.deleteChatUser", peer=peer, user_id=ids[2]),
                 "CHAT_ADMIN_REQUIRED", 403)
    await raises(bob.call("messages.deleteChatUser", peer=peer, user_id=ids[0]),
                 "CHAT_ADMIN_REQUIRED", 403)
    await raises(bob.call("messages.deleteChatUser", peer=peer, user_id=ids[4]),
                 "USER_NOT_PARTICIPANT")
    await raises(eve.call("messages.addChatUser", peer=peer, user_ids=[ids[4]]), "PEER_ID_INVALID")
    await bob.call("messages.deleteChatUser", peer=peer, user_id=ids[3])
    await alice.call("messages.editChatTitle", peer=peer, title="Team 2")
    await raises(alice.call("messages.editChatTitle", peer=peer, title="Team 2"),
                 "CHAT_NOT_MODIFIED")
    await raises(alice.call("messages.editChatTitle", peer=peer, title="  "), "CHAT_TITLE_EMPTY")
    await alice.call("messages.deleteChatUser", peer=peer, user_id=ids[2])
    await bob.call("messages.leaveChat", peer=peer)

    history = await alice.call("messages.getHistory", peer=peer)
    assert _actions(history) == [
        ("chat_create", "Team"), ("chat_add_user", [ids[3]]), ("chat_delete_user", [ids[3]]),
        ("chat_edit_title", "Team 2"), ("chat_delete_user", [ids[2]]),
        ("chat_delete_user", [ids[1]])]
    senders = [m["sender_id"] for m in reversed(history["messages"])]
    assert senders == [ids[0], ids[1], ids[1], ids[0], ids[0], ids[1]]
    got = await alice.call("messages.getChat", peer=peer)
    assert got["dialog"]["chat"]["title"] == "Team 2"
    assert got["dialog"]["chat"]["member_count"] == 1
    assert [m["user_id"] for m in got["members"]] == [ids[0]]

    # Removed users: no more events, and the chat is as unknown to them as any other.
    await wait_for(lambda: chat["id"] not in devs[1].pts and chat["id"] not in devs[2].pts)
    carol_seen = len(devs[2].events)
    await alice.call("messages.sendMessage", peer=peer, text="only me now")
    await alice.call("messages.addChatUser", peer=peer, user_ids=[ids[4]])
    await wait_for(lambda: len(events_of(devs[4], "new_message")) == 1)
    assert len(devs[2].events) == carol_seen
    for api in (bob, carol, dan):
        await raises(api.call("messages.sendMessage", peer=peer, text="let me in"),
                     "PEER_ID_INVALID")
        await raises(api.call("messages.getHistory", peer=peer), "PEER_ID_INVALID")
        assert chat["id"] not in [d["chat"]["id"] for d in
                                  (await api.call("messages.getDialogs"))["dialogs"]]
    # Leaving a private chat is not a thing.
    dm = await alice.call("messages.sendMessage", peer={"user_id": ids[1]}, text="dm")
    await raises(alice.call("messages.leaveChat", peer={"chat_id": dm["chat_id"]}),
                 "CHAT_ID_INVALID")
    await raises(alice.call("messages.editChatTitle", peer={"chat_id": dm["chat_id"]}, title="x"),
                 "CHAT_ID_INVALID")
    for d in devs:
        await d.close()


async def test_group_limit_of_200(server, http_pool) -> None:
    alice = await server.user("Alice")
    a = client(http_pool, server, alice["token"])
    others = make_users(server, 200)
    await raises(a.call("messages.createChat", title="Too big", user_ids=others),
                 "USERS_TOO_MUCH")
    chat = await a.call("messages.createChat", title="Full", user_ids=others[:198])
    assert chat["member_count"] == 199
    await raises(a.call("messages.addChatUser", peer={"chat_id": chat["id"]},
                        user_ids=others[198:]), "USERS_TOO_MUCH")
    await a.call("messages.addChatUser", peer={"chat_id": chat["id"]}, user_ids=[others[198]])
    await raises(a.call("messages.addChatUser", peer={"chat_id": chat["id"]},
                        user_ids=[others[199]]), "USERS_TOO_MUCH")
    got = await a.call("messages.getChat", peer={"chat_id": chat["id"]})
    assert len(got["members"]) == got["dialog"]["chat"]["member_count"] == 200
    await raises(a.call("messages.createChat", title="x", user_ids=[10**9]), "USER_ID_INVALID")


async def test_dialog_list_order_unread_paging_and_pins(clocked_server, http_pool) -> None:
    server, clock = clocked_server
    alice = await server.user("Alice")
    a = client(http_pool, server, alice["token"])
    peers = [await server.user(f"P{i}") for i in range(7)]
    apis = [client(http_pool, server, p["token"]) for p in peers]
    me = alice["user"]["id"]
    for i, api in enumerate(apis):
        clock.advance(10)
        for j in range(i + 1):
            await api.call("messages.sendMessage", peer={"user_id": me}, text=f"{i}.{j}")
    # The oldest chat becomes the most recent.
    clock.advance(10)
    last = await a.call("messages.sendMessage", peer={"user_id": peers[0]["user"]["id"]},
                        text="back to you")
    order = [peers[0]] + peers[:0:-1]
    full = await a.call("messages.getDialogs", limit=100)
    assert [d["peer_user_id"] for d in full["dialogs"]] == [p["user"]["id"] for p in order]
    assert full["next_offset"] is None
    top = full["dialogs"][0]
    assert top["top_message"]["id"] == last["id"] and top["top_message"]["text"] == "back to you"
    assert top.get("unread_count", 0) == 1
    assert [d.get("unread_count", 0) for d in full["dialogs"][1:]] == [7, 6, 5, 4, 3, 2]
    assert [d["top_message"]["text"] for d in full["dialogs"][1:3]] == ["6.6", "5.5"]
    assert {u["id"] for u in full["users"]} == {me} | {p["user"]["id"] for p in peers}

    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = await a.call("messages.getDialogs", **params)
        pages.append(page)
        if not page["next_offset"]:
            break
        params = {"limit": 3, **page["next_offset"]}
    assert [len(p["dialogs"]) for p in pages] == [3, 3, 1]
    assert [d for p in pages for d in p["dialogs"]] == full["dialogs"]

    # Pinned dialogs come first (last pinned on top), only on the first page.
    pin = [full["dialogs"][4]["chat"]["id"], full["dialogs"][6]["chat"]["id"]]
    for chat_id in pin:
        await a.call("messages.toggleDialogPin", peer={"chat_id": chat_id})
    first = await a.call("messages.getDialogs", limit=3)
    assert [d["chat"]["id"] for d in first["dialogs"][:2]] == pin[::-1]
    assert all(d.get("pinned") for d in first["dialogs"][:2])
    rest = await a.call("messages.getDialogs", limit=3, **first["next_offset"])
    seen = [d["chat"]["id"] for d in first["dialogs"] + rest["dialogs"]]
    assert len(seen) == len(set(seen)) == 7
    await a.call("messages.toggleDialogPin", peer={"chat_id": pin[1]}, pinned=False)
    again = await a.call("messages.getDialogs", limit=100)
    assert [d["chat"]["id"] for d in again["dialogs"]][0] == pin[0]
    assert [d["chat"]["id"] for d in again["dialogs"]][1:] == [
        d["chat"]["id"] for d in full["dialogs"] if d["chat"]["id"] != pin[0]]
    # Reading clears the unread count.
    await a.call("messages.readHistory", peer={"chat_id": full["dialogs"][1]["chat"]["id"]})
    again = await a.call("messages.getDialogs", limit=100)
    by_id = {d["chat"]["id"]: d for d in again["dialogs"]}
    assert by_id[full["dialogs"][1]["chat"]["id"]].get("unread_count", 0) == 0
    await raises(a.call("messages.toggleDialogPin", peer={"chat_id": 10**9}), "PEER_ID_INVALID")
