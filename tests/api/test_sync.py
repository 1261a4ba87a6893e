"""The update sequence over the real API.

Live: every kind of event reaches both devices of every user it concerns, and nobody else.
Replay: for every kind of mutation, a device that was offline catches up through
`updates.getDifference`, and its state with the events applied equals a fresh fetch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from helpers import Model, client, events_of, fetch_state, in_step, raises, wait_for

from steppe.client import Device, Http


@dataclass
class World:
    server: Any
    users: dict[str, dict[str, Any]]  # name -> sign-in result (first device)
    seconds: dict[str, dict[str, Any]]  # name -> sign-in result of a second device
    apis: dict[str, Http]
    group: int
    dm: int  # Alice and Bob's private chat
    ids: dict[str, int]

    def peer_of(self, who: str, other: str) -> dict[str, int]:
        return {"user_id": self.ids[other]}


async def _world(server: Any, pool: list[Http]) -> World:
    users, seconds = {}, {}
    for name in ("alice", "bob", "carol", "dan", "eve"):
        users[name] = await server.user(name.title())
    for name in ("alice", "bob"):
        seconds[name] = await server.user(phone=users[name]["user"]["phone"])
    ids = {n: u["user"]["id"] for n, u in users.items()}
    # The second device's token drives the mutations, so the first can be stale.
    apis = {n: client(pool, server, (seconds.get(n) or u)["token"]) for n, u in users.items()}
    a, b, c = apis["alice"], apis["bob"], apis["carol"]
    group = (await a.call("messages.createChat", title="Group",
                          user_ids=[ids["bob"], ids["carol"]]))["id"]
    for i, api in enumerate((a, b, c, a)):
        await api.call("messages.sendMessage", peer={"chat_id": group}, text=f"g{i}")
    dm = (await a.call("messages.sendMessage", peer={"user_id": ids["bob"]}, text="hi"))["chat_id"]
    await b.call("messages.sendMessage", peer={"user_id": ids["alice"]}, text="hey")
    await a.call("messages.sendMessage", peer={"user_id": ids["bob"]}, text="how are you")
    return World(server, users, seconds, apis, group, dm, ids)


Mutation = Callable[[World], Awaitable[None]]


async def _send(w: World) -> None:
    await w.apis["alice"].call("messages.sendMessage", peer={"chat_id": w.group}, text="new",
                               entities=[{"type": "bold", "offset": 0, "length": 3}])
    await w.apis["carol"].call("messages.sendMessage", peer={"chat_id": w.group}, text="reply",
                               reply_to=2)
    await w.apis["bob"].call("messages.sendMessage", peer={"user_id": w.ids["alice"]}, text="dm")


async def _edit(w: World) -> None:
    await w.apis["alice"].call("messages.editMessage", peer={"chat_id": w.group}, id=2,
                               text="g0 edited")
    await w.apis["bob"].call("messages.editMessage", peer={"user_id": w.ids["alice"]}, id=2,
                             text="hey edited")


async def _delete(w: World) -> None:
    await w.apis["alice"].call("messages.deleteMessages", peer={"chat_id": w.group}, ids=[2, 5])
    await w.apis["bob"].call("messages.deleteMessages", peer={"user_id": w.ids["alice"]}, ids=[1])


async def _delete_for_me(w: World) -> None:
    await w.apis["alice"].call("messages.deleteMessages", peer={"user_id": w.ids["bob"]},
                               ids=[2, 3], revoke=False)
    await w.apis["bob"].call("messages.deleteMessages", peer={"chat_id": w.group}, ids=[4],
                             revoke=False)


async def _pin(w: World) -> None:
    await w.apis["bob"].call("messages.updatePinnedMessage", peer={"chat_id": w.group}, id=3)
    await w.apis["alice"].call("messages.updatePinnedMessage", peer={"chat_id": w.group}, id=4)
    await w.apis["alice"].call("messages.updatePinnedMessage", peer={"chat_id": w.group}, id=4,
                               unpin=True)


async def _read(w: World) -> None:
    await w.apis["bob"].call("messages.readHistory", peer={"user_id": w.ids["alice"]})
    await w.apis["alice"].call("messages.readHistory", peer={"chat_id": w.group}, max_id=3)
    await w.apis["carol"].call("messages.readHistory", peer={"chat_id": w.group})


async def _join(w: World) -> None:
    await w.apis["bob"].call("messages.addChatUser", peer={"chat_id": w.group},
                             user_ids=[w.ids["dan"], w.ids["eve"]])
    await w.apis["dan"].call("messages.sendMessage", peer={"chat_id": w.group}, text="I'm in")


async def _new_group(w: World) -> None:
    chat = await w.apis["carol"].call("messages.createChat", title="Carol's",
                                      user_ids=[w.ids["alice"], w.ids["bob"]])
    await w.apis["carol"].call("messages.sendMessage", peer={"chat_id": chat["id"]}, text="hi")
    await w.apis["alice"].call("messages.readHistory", peer={"chat_id": chat["id"]})


async def _new_private(w: World) -> None:
    await w.apis["carol"].call("messages.sendMessage", peer={"user_id": w.ids["alice"]},
                               text="hello Alice")
    await w.apis["bob"].call("messages.sendMessage", peer={"user_id": w.ids["bob"]}, text="saved")


async def _leave(w: World) -> None:
    await w.apis["bob"].call("messages.leaveChat", peer={"chat_id": w.group})
    await w.apis["alice"].call("messages.sendMessage", peer={"chat_id": w.group}, text="bye Bob")


async def _remove(w: World) -> None:
    await w.apis["alice"].call("messages.deleteChatUser", peer={"chat_id": w.group},
                               user_id=w.ids["carol"])
    await w.apis["alice"].call("messages.deleteChatUser", peer={"chat_id": w.group},
                               user_id=w.ids["bob"])


async def _removed_and_back(w: World) -> None:
    await w.apis["alice"].call("messages.deleteChatUser", peer={"chat_id": w.group},
                               user_id=w.ids["bob"])
    await w.apis["alice"].call("messages.sendMessage", peer={"chat_id": w.group}, text="secret")
    await w.apis["alice"].call("messages.addChatUser", peer={"chat_id": w.group},
                               user_ids=[w.ids["bob"]])
    await w.apis["alice"].call("messages.sendMessage", peer={"chat_id": w.group}, text="welcome")


async def _rename(w: World) -> None:
    await w.apis["carol"].call("messages.editChatTitle", peer={"chat_id": w.group}, title="Renamed")


async def _profile(w: World) -> None:
    await w.apis["alice"].call("account.updateProfile", first_name="Alia", about="bio")
    await w.apis["alice"].call("account.updateUsername", username="alia_k")


async def _contacts(w: World) -> None:
    a = w.apis["alice"]
    await a.call("contacts.addContact", user_id=w.ids["bob"])
    await a.call("contacts.importContacts", contacts=[{"phone": w.users["carol"]["user"]["phone"]}])
    await a.call("contacts.deleteContacts", ids=[w.ids["bob"]])
    await w.apis["bob"].call("contacts.addContact", user_id=w.ids["eve"])


async def _dialog_pin(w: World) -> None:
    await w.apis["alice"].call("messages.toggleDialogPin", peer={"chat_id": w.group})
    await w.apis["alice"].call("messages.toggleDialogPin", peer={"user_id": w.ids["bob"]})
    await w.apis["alice"].call("messages.toggleDialogPin", peer={"chat_id": w.group}, pinned=False)


async def _password(w: World) -> None:
    await w.apis["alice"].call("account.updatePasswordSettings", new_password="pw1")


async def _new_authorization(w: World) -> None:
    await w.server.user(phone=w.users["bob"]["user"]["phone"])


async def _forward(w: World) -> None:
    await w.apis["bob"].call("messages.forwardMessages", from_peer={"chat_id": w.group},
                             ids=[2, 3], to_peer={"user_id": w.ids["alice"]})


async def _too_long(w: World) -> None:
    for i in range(101):
        await w.apis["bob"].call("messages.sendMessage", peer={"user_id": w.ids["alice"]},
                                 text=f"flood {i}")
    await w.apis["carol"].call("messages.sendMessage", peer={"chat_id": w.group}, text="normal")


async def _everything(w: World) -> None:
    for step in (_send, _edit, _pin, _read, _delete_for_me, _rename, _join, _forward, _delete,
                 _profile, _contacts, _dialog_pin, _new_private, _new_group, _leave):
        await step(w)


MUTATIONS: dict[str, Mutation] = {
    "send": _send, "edit": _edit, "delete": _delete, "delete_for_me": _delete_for_me,
    "pin": _pin, "read": _read, "join": _join, "new_group": _new_group,
    "new_private": _new_private, "leave": _leave, "remove": _remove,
    "removed_and_back": _removed_and_back, "rename": _rename, "profile": _profile,
    "contacts": _contacts, "dialog_pin": _dialog_pin, "password": _password,
    "new_authorization": _new_authorization, "forward": _forward, "too_long": _too_long,
    "everything": _everything,
}


# ---- replay --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(MUTATIONS))
async def test_replay_after_reconnect(server, http_pool, kind: str) -> None:
    w = await _world(server, http_pool)
    names = ("alice", "bob")
    first = {n: client(http_pool, server, w.users[n]["token"]) for n in names}
    devs = {n: await server.device(w.users[n]["token"]) for n in names}
    models, marks = {}, {}
    for n in names:
        await in_step(devs[n], first[n])
        models[n] = Model(await fetch_state(first[n], w.ids[n]))
        marks[n] = len(devs[n].events)  # type: ignore[attr-defined]
        devs[n].cut()
        await wait_for(lambda n=n: not devs[n].connected.is_set())

    await MUTATIONS[kind](w)

    for n in names:
        await devs[n].connect()
        await in_step(devs[n], first[n])
        for ev in devs[n].events[marks[n]:]:  # type: ignore[attr-defined]
            models[n].apply(ev)
        got = await models[n].settle(first[n])
        assert got == await fetch_state(first[n], w.ids[n]), (kind, n)
    if kind == "too_long":
        assert events_of(devs["alice"], "too_long", marks["alice"]) == [
            {"type": "too_long", "chat_id": w.dm}]
    for dev in devs.values():
        await dev.close()


async def test_replay_live_matches_too(server, http_pool) -> None:
    """The same model fed by live events (no disconnect) also equals a fresh fetch."""
    w = await _world(server, http_pool)
    api = client(http_pool, server, w.users["alice"]["token"])
    dev = await server.device(w.users["alice"]["token"])
    await in_step(dev, api)
    model = Model(await fetch_state(api, w.ids["alice"]))
    mark = len(dev.events)  # type: ignore[attr-defined]
    await _everything(w)
    await in_step(dev, api)
    for ev in dev.events[mark:]:  # type: ignore[attr-defined]
        model.apply(ev)
    assert await model.settle(api) == await fetch_state(api, w.ids["alice"])
    await dev.close()


# ---- live delivery -------------------------------------------------------------------------------

async def test_every_event_kind_reaches_both_devices(server, http_pool) -> None:
    w = await _world(server, http_pool)
    devs: dict[str, list[Device]] = {}
    for n in ("alice", "bob"):
        devs[n] = [await server.device(w.users[n]["token"]),
                   await server.device(w.seconds[n]["token"])]
    devs["eve"] = [await server.device(w.users["eve"]["token"])]
    a, b = w.apis["alice"], w.apis["bob"]
    g = {"chat_id": w.group}

    async def expect(action: Awaitable[Any], kind: str, who: tuple[str, ...],
                     match: Callable[[dict[str, Any]], bool] = lambda e: True) -> None:
        marks = {id(d): len(d.events) for ds in devs.values() for d in ds}  # type: ignore[attr-defined]
        await action
        targets = [d for n in who for d in devs[n]]
        await wait_for(lambda: all(any(match(e) for e in events_of(d, kind, marks[id(d)]))
                                   for d in targets))
        # The same event (same pts or seq) on every device.
        for d in targets:
            assert len([e for e in events_of(d, kind, marks[id(d)]) if match(e)]) == 1, kind
        others = [d for n, ds in devs.items() if n not in who for d in ds]
        await in_step(devs["eve"][0], w.apis["eve"])
        for d in others:
            assert not [e for e in events_of(d, kind, marks[id(d)]) if match(e)], (kind, who)

    both = ("alice", "bob")
    msg = await a.call("messages.sendMessage", peer=g, text="live")
    await wait_for(lambda: all(any(e["message"]["id"] == msg["id"]
                                   for e in events_of(d, "new_message"))
                               for d in devs["alice"] + devs["bob"]))
    await expect(a.call("messages.sendMessage", peer=g, text="x"), "new_message", both)
    await expect(a.call("messages.editMessage", peer=g, id=msg["id"], text="live!"),
                 "edit_message", both)
    await expect(b.call("messages.updatePinnedMessage", peer=g, id=msg["id"]), "pin_message", both)
    await expect(b.call("messages.readHistory", peer=g), "read_history", both)
    await expect(a.call("messages.deleteMessages", peer=g, ids=[msg["id"]]), "delete_messages",
                 both)
    await expect(a.call("messages.editChatTitle", peer=g, title="Live"), "new_message", both,
                 lambda e: e["message"].get("action", {}).get("type") == "chat_edit_title")
    await expect(b.call("messages.leaveChat", peer=g), "leave_chat", ("bob",))
    await expect(a.call("messages.addChatUser", peer=g, user_ids=[w.ids["bob"]]), "join_chat",
                 ("bob",))
    await expect(a.call("messages.addChatUser", peer=g, user_ids=[w.ids["eve"]]), "new_message",
                 ("alice", "bob", "eve"),
                 lambda e: e["message"].get("action", {}).get("type") == "chat_add_user")
    await expect(a.call("messages.deleteChatUser", peer=g, user_id=w.ids["eve"]), "leave_chat",
                 ("eve",))
    await expect(a.call("account.updateProfile", about="live bio"), "profile", ("alice",))
    await expect(a.call("contacts.addContact", user_id=w.ids["bob"]), "contacts", ("alice",))
    await expect(a.call("messages.deleteMessages", peer=g, ids=[3], revoke=False),
                 "delete_for_me", ("alice",))
    await expect(a.call("messages.toggleDialogPin", peer=g), "dialog_pin", ("alice",))
    await expect(a.call("account.updatePasswordSettings", new_password="pw"), "password",
                 ("alice",))
    await expect(w.server.user(phone=w.users["bob"]["user"]["phone"]), "new_authorization",
                 ("bob",))
    # Every device applied the same sequence: equal seq, equal pts.
    for n in ("alice", "bob"):
        await in_step(devs[n][0], w.apis[n])
        await in_step(devs[n][1], w.apis[n])
        assert devs[n][0].seq == devs[n][1].seq and devs[n][0].pts == devs[n][1].pts
    for ds in devs.values():
        for d in ds:
            await d.close()


# ---- difference edges ----------------------------------------------------------------------------

async def test_chat_difference_returns_exactly_the_missed_events(server, http_pool) -> None:
    w = await _world(server, http_pool)
    a, b = w.apis["alice"], w.apis["bob"]
    state = await a.call("updates.getState")
    pts = state["chats"][str(w.group)]
    sent = [await b.call("messages.sendMessage", peer={"chat_id": w.group}, text=f"m{i}")
            for i in range(5)]
    await a.call("messages.editMessage", peer={"chat_id": w.group}, id=2, text="e")
    diff = await a.call("updates.getChatDifference", chat_id=w.group, pts=pts)
    assert diff["pts"] == pts + 6 and not diff.get("too_long")
    assert [e["pts"] for e in diff["events"]] == list(range(pts + 1, pts + 7))
    assert [e["message"] for e in diff["events"][:5]] == sent
    assert diff["events"][5]["type"] == "edit_message"
    part = await a.call("updates.getChatDifference", chat_id=w.group, pts=pts, limit=2)
    assert (part["pts"], [e["pts"] for e in part["events"]]) == (pts + 2, [pts + 1, pts + 2])
    none = await a.call("updates.getChatDifference", chat_id=w.group, pts=pts + 6)
    assert none == {"chat_id": w.group, "pts": pts + 6}
    await raises(a.call("updates.getChatDifference", chat_id=w.group, pts=pts + 7),
                 "PERSISTENT_TIMESTAMP_INVALID")
    await raises(a.call("updates.getChatDifference", chat_id=w.group, pts=-1),
                 "PERSISTENT_TIMESTAMP_INVALID")
    await raises(w.apis["dan"].call("updates.getChatDifference", chat_id=w.group, pts=0),
                 "PEER_ID_INVALID")

    # Exactly 100 behind is still served; 101 is too long.
    base = (await a.call("updates.getState"))["chats"][str(w.dm)]
    for i in range(100):
        await b.call("messages.sendMessage", peer={"user_id": w.ids["alice"]}, text=f"x{i}")
    diff = await a.call("updates.getChatDifference", chat_id=w.dm, pts=base)
    assert len(diff["events"]) == 100 and diff["pts"] == base + 100
    await b.call("messages.sendMessage", peer={"user_id": w.ids["alice"]}, text="one more")
    diff = await a.call("updates.getChatDifference", chat_id=w.dm, pts=base)
    assert diff == {"chat_id": w.dm, "pts": base + 101, "too_long": True}
    full = await a.call("updates.getDifference", seq=state["seq"],
                        pts={str(w.dm): base, str(w.group): pts + 6})
    assert full["chats"] == [{"chat_id": w.dm, "pts": base + 101, "too_long": True}]


async def test_get_difference_bounds(server, http_pool) -> None:
    w = await _world(server, http_pool)
    a = w.apis["alice"]
    state = await a.call("updates.getState")
    await raises(a.call("updates.getDifference", seq=state["seq"] + 1),
                 "PERSISTENT_TIMESTAMP_INVALID")
    await raises(a.call("updates.getDifference", seq=-1), "PERSISTENT_TIMESTAMP_INVALID")
    same = await a.call("updates.getDifference", seq=state["seq"],
                        pts={k: v for k, v in state["chats"].items()})
    assert same == {"seq": state["seq"], "user_events": [], "chats": []}
    # Events of the account since a seq come in order; a chat the device did not know yet is
    # reported from where the user joined it, and a chat the user left is named.
    await w.apis["carol"].call("messages.createChat", title="New", user_ids=[w.ids["alice"]])
    await a.call("messages.leaveChat", peer={"chat_id": w.group})
    diff = await a.call("updates.getDifference", seq=state["seq"],
                        pts={k: v for k, v in state["chats"].items()})
    assert [e["seq"] for e in diff["user_events"]] == [state["seq"] + 1, state["seq"] + 2]
    assert [e["type"] for e in diff["user_events"]] == ["join_chat", "leave_chat"]
    new_chat = diff["user_events"][0]["chat"]["id"]
    assert [(c["chat_id"], [e["pts"] for e in c["events"]]) for c in diff["chats"]] == [
        (new_chat, [1])]
    assert diff["left"] == [w.group] and diff["seq"] == state["seq"] + 2
    assert not diff.get("more")
